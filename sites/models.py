"""The subscriber database: customers, sites, zones, transmitters, contacts,
schedules, procedures (consignes) and intervention providers."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sites import crypto
from sites.phones import validate_phone

HEX_ACCOUNT = RegexValidator(r"^[0-9A-Fa-f]{1,16}$", _("1 à 16 chiffres hexadécimaux"))
PREFIX = RegexValidator(r"^[0-9A-Fa-f]{0,6}$", _("0 à 6 chiffres hexadécimaux (vide = tous)"))


def normalise_account(account: str) -> str:
    """Accounts compare without leading zeros and case (#001111 == #1111)."""
    return account.upper().lstrip("0") or "0"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Fuseau horaire inconnu : %(tz)s"), params={"tz": value})


class OnSite:
    """For rows that belong to a site: what the logbook refers to when they change
    (LoggedAdminMixin and services read logbook_site / logbook_customer)."""

    @property
    def logbook_site(self):
        return self.site

    @property
    def logbook_customer(self):
        return self.site.customer


class Customer(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Entreprise")
        PERSON = "person", _("Particulier")

    code = models.CharField(_("code client"), max_length=20, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True, validators=[validate_phone])
    email = models.EmailField(_("courriel"), blank=True)
    address = models.TextField(_("adresse"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Whether this customer's portal users may watch their own cameras.
    contract_video = models.BooleanField(_("vidéo accessible au client"), default=False)
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def logbook_customer(self):
        return self


class Site(models.Model):
    class Monitoring(models.TextChoices):
        IN_SERVICE = "in_service", _("En service")
        OUT_OF_SERVICE = "out_of_service", _("Hors service")
        ON_TEST = "on_test", _("En test")

    class Armed(models.TextChoices):
        ARMED = "armed", _("En service (armé)")
        PARTIAL = "partial", _("Partiellement armé")
        DISARMED = "disarmed", _("Hors service (désarmé)")
        UNKNOWN = "unknown", _("Inconnu")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="sites",
                                 verbose_name=_("client"))
    code = models.CharField(_("code site"), max_length=20, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    address = models.CharField(_("adresse"), max_length=250)
    postal_code = models.CharField(_("code postal"), max_length=10)
    city = models.CharField(_("ville"), max_length=100)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    # Département or region, used by storm rules ("troubles in 33 for 30 min").
    region = models.CharField(_("région / département"), max_length=40, blank=True, db_index=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    timezone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris",
                                validators=[validate_timezone])
    phone = models.CharField(_("téléphone du site"), max_length=32, blank=True, validators=[validate_phone])
    access_notes = models.TextField(_("accès / consignes d'accès"), blank=True)
    monitoring_state = models.CharField(_("état de surveillance"), max_length=16,
                                        choices=Monitoring.choices, default=Monitoring.IN_SERVICE)
    test_until = models.DateTimeField(_("en test jusqu'à"), null=True, blank=True, db_index=True)
    armed_state = models.CharField(_("état d'armement"), max_length=10, choices=Armed.choices,
                                   default=Armed.UNKNOWN)
    armed_changed_at = models.DateTimeField(null=True, blank=True)
    open_tolerance_minutes = models.PositiveIntegerField(_("tolérance ouverture (min)"), default=15)
    close_tolerance_minutes = models.PositiveIntegerField(_("tolérance fermeture (min)"), default=30)
    closed_on_public_holidays = models.BooleanField(_("fermé les jours fériés"), default=True)
    installer = models.ForeignKey("Contact", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("installateur / maintenance"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["customer__name", "name"]

    def __str__(self):
        return f"{self.name} — {self.city} ({self.code})"

    @property
    def logbook_site(self):
        return self

    @property
    def logbook_customer(self):
        return self.customer

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def is_on_test(self, now=None) -> bool:
        now = now or timezone.now()
        return self.monitoring_state == self.Monitoring.ON_TEST and (
            self.test_until is None or self.test_until > now
        )

    def full_address(self) -> str:
        return f"{self.address}, {self.postal_code} {self.city}"

    def map_url(self) -> str:
        if self.latitude is not None and self.longitude is not None:
            return f"https://www.openstreetmap.org/?mlat={self.latitude}&mlon={self.longitude}#map=18/{self.latitude}/{self.longitude}"
        from urllib.parse import quote

        return f"https://www.openstreetmap.org/search?query={quote(self.full_address())}"


class Zone(OnSite, models.Model):
    class Type(models.TextChoices):
        INTRUSION = "intrusion", _("Intrusion")
        FIRE = "fire", _("Incendie")
        PANIC = "panic", _("Agression / panique")
        MEDICAL = "medical", _("Médical")
        TECHNICAL = "technical", _("Technique")
        TAMPER = "tamper", _("Autoprotection")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="zones", verbose_name=_("site"))
    number = models.CharField(_("numéro"), max_length=8, validators=[RegexValidator(r"^\d{1,8}$")])
    label = models.CharField(_("libellé"), max_length=120)
    zone_type = models.CharField(_("type"), max_length=12, choices=Type.choices, default=Type.INTRUSION)
    area = models.CharField(_("secteur / partition"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["site", "number"]
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="zone_unique_number")]

    def __str__(self):
        return f"Z{self.number} {self.label}"


    def clean(self):
        # Addresses compare numerically: keep one canonical form.
        if self.number:
            self.number = str(int(self.number))


class ATSCategory(models.Model):
    """EN 50136-1 categories and their maximum reporting times, as editable data."""

    code = models.CharField(_("catégorie"), max_length=8, unique=True)
    dual_path = models.BooleanField(_("double voie"), default=False)
    primary_seconds = models.PositiveIntegerField(_("délai de signalement voie principale (s)"))
    secondary_seconds = models.PositiveIntegerField(_("délai voie secondaire (s)"), null=True, blank=True)
    note = models.CharField(_("remarque"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("catégorie ATS (EN 50136)")
        verbose_name_plural = _("catégories ATS (EN 50136)")
        ordering = ["code"]

    def __str__(self):
        return self.code


class Transmitter(OnSite, models.Model):
    class Encryption(models.TextChoices):
        NONE = "none", _("Aucun")
        AES128 = "aes128", "AES-128"
        AES192 = "aes192", "AES-192"
        AES256 = "aes256", "AES-256"

    class KeyFormat(models.TextChoices):
        HEX = "hex", _("Hexadécimal")
        ASCII = "ascii", _("ASCII")

    KEY_BYTES = {Encryption.AES128: 16, Encryption.AES192: 24, Encryption.AES256: 32}

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="transmitters",
                             verbose_name=_("site"))
    account = models.CharField(_("compte DC-09"), max_length=16, validators=[HEX_ACCOUNT])
    account_key = models.CharField(max_length=16, editable=False, db_index=True)
    receiver_prefix = models.CharField(_("préfixe récepteur (R)"), max_length=6, blank=True,
                                       validators=[PREFIX], help_text=_("Vide : tous"))
    line_prefix = models.CharField(_("préfixe ligne (L)"), max_length=6, blank=True,
                                   validators=[PREFIX], help_text=_("Vide : toutes"))
    encryption = models.CharField(_("chiffrement"), max_length=8, choices=Encryption.choices,
                                  default=Encryption.NONE)
    key_format = models.CharField(_("format de clé"), max_length=5, choices=KeyFormat.choices,
                                  default=KeyFormat.HEX)
    key_encrypted = models.TextField(editable=False, blank=True)
    # Commissioning override: accept plain frames from an encrypted account.
    allow_plain = models.BooleanField(_("accepter le clair (mise en service)"), default=False)
    binary_crc = models.BooleanField(_("CRC binaire"), default=False)
    ats_category = models.ForeignKey(ATSCategory, on_delete=models.PROTECT, null=True, blank=True,
                                     verbose_name=_("catégorie ATS"))
    supervision_seconds = models.PositiveIntegerField(
        _("délai de supervision personnalisé (s)"), null=True, blank=True,
        help_text=_("Remplace le délai de la catégorie ATS"))
    test_interval_seconds = models.PositiveIntegerField(_("période du test cyclique (s)"), null=True,
                                                        blank=True)
    signals_per_minute = models.PositiveIntegerField(_("débit maximal (signaux/min)"), default=120)
    enabled = models.BooleanField(_("actif"), default=True)
    # Supervision state, written by the receiver (last_seen) and the timers.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    line_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    line_fault = models.BooleanField(default=False)
    last_test_at = models.DateTimeField(null=True, blank=True)
    test_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("transmetteur")
        verbose_name_plural = _("transmetteurs")
        ordering = ["account"]
        constraints = [
            models.UniqueConstraint(fields=["account_key", "receiver_prefix", "line_prefix"],
                                    name="transmitter_unique_account")
        ]

    def __str__(self):
        return f"#{self.account}"


    @property
    def encrypted(self) -> bool:
        return self.encryption != self.Encryption.NONE

    def supervision_period(self) -> int | None:
        if self.supervision_seconds:
            return self.supervision_seconds
        if self.ats_category_id:
            return self.ats_category.primary_seconds
        return None

    def set_key(self, key: str) -> None:
        self.key_encrypted = crypto.encrypt(key)

    def key_text(self) -> str:
        return crypto.decrypt(self.key_encrypted)

    def key_bytes(self) -> bytes | None:
        if not self.encrypted or not self.key_encrypted:
            return None
        return key_to_bytes(self.key_text(), self.key_format)

    def save(self, *args, **kwargs):
        self.account = self.account.upper()
        self.account_key = normalise_account(self.account)
        self.receiver_prefix = self.receiver_prefix.upper()
        self.line_prefix = self.line_prefix.upper()
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.account:
            key = normalise_account(self.account)
            clash = Transmitter.objects.filter(account_key=key).exclude(pk=self.pk)
            for other in clash:
                r_overlap = not self.receiver_prefix or not other.receiver_prefix or \
                    self.receiver_prefix.upper() == other.receiver_prefix.upper()
                l_overlap = not self.line_prefix or not other.line_prefix or \
                    self.line_prefix.upper() == other.line_prefix.upper()
                if r_overlap and l_overlap:
                    errors["account"] = _("Le compte %(account)s est déjà utilisé par le site %(site)s "
                                          "sur les mêmes préfixes récepteur/ligne.") % {
                        "account": self.account, "site": other.site}
                    break
        if self.encrypted and not self.key_encrypted:
            errors["encryption"] = _("Un transmetteur chiffré doit avoir une clé.")
        if errors:
            raise ValidationError(errors)


def key_to_bytes(key: str, key_format: str) -> bytes:
    if key_format == Transmitter.KeyFormat.HEX:
        return bytes.fromhex(key)
    return key.encode("latin-1")


def validate_key(key: str, encryption: str, key_format: str) -> None:
    """The length must match the AES size in the chosen format (PROTOCOLS.md 3.4)."""
    size = Transmitter.KEY_BYTES.get(encryption)
    if size is None:
        if key:
            raise ValidationError(_("Pas de clé pour un transmetteur non chiffré."))
        return
    if key_format == Transmitter.KeyFormat.HEX:
        if len(key) != size * 2 or any(c not in "0123456789abcdefABCDEF" for c in key):
            raise ValidationError(
                _("%(enc)s en hexadécimal : %(n)d chiffres hexadécimaux attendus, %(got)d reçus."),
                params={"enc": Transmitter.Encryption(encryption).label, "n": size * 2, "got": len(key)})
    else:
        if len(key) != size or not key.isascii():
            raise ValidationError(
                _("%(enc)s en ASCII : %(n)d caractères ASCII attendus, %(got)d reçus."),
                params={"enc": Transmitter.Encryption(encryption).label, "n": size, "got": len(key)})


class Contact(OnSite, models.Model):
    class Role(models.TextChoices):
        KEYHOLDER = "keyholder", _("Détenteur de clés")
        MANAGER = "manager", _("Responsable")
        OWNER = "owner", _("Propriétaire")
        INSTALLER = "installer", _("Installateur / mainteneur")
        OTHER = "other", _("Autre")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("site"))
    order = models.PositiveSmallIntegerField(_("ordre d'appel"), default=1)
    name = models.CharField(_("nom"), max_length=150)
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.KEYHOLDER)
    phone = models.CharField(_("téléphone"), max_length=32, validators=[validate_phone])
    phone_alt = models.CharField(_("téléphone 2"), max_length=32, blank=True, validators=[validate_phone])
    email = models.EmailField(_("courriel"), blank=True)
    in_call_list = models.BooleanField(_("dans la liste d'appel"), default=True)
    ok_password_hash = models.CharField(max_length=128, blank=True, editable=False)
    duress_password_hash = models.CharField(max_length=128, blank=True, editable=False)
    notes = models.CharField(_("remarques"), max_length=250, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="contacts", verbose_name=_("compte portail"))
    pseudonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["site", "order", "id"]

    def __str__(self):
        return self.name


    def set_passwords(self, *, ok: str | None = None, duress: str | None = None) -> None:
        if ok is not None:
            self.ok_password_hash = make_password(ok) if ok else ""
        if duress is not None:
            self.duress_password_hash = make_password(duress) if duress else ""

    def check_spoken_password(self, spoken: str) -> str:
        """'ok', 'duress' or 'wrong' for a password given over the phone."""
        spoken = (spoken or "").strip()
        if self.duress_password_hash and check_password(spoken, self.duress_password_hash):
            return "duress"
        if self.ok_password_hash and check_password(spoken, self.ok_password_hash):
            return "ok"
        return "wrong"

    def available_at(self, moment) -> bool:
        windows = list(self.availability.all())
        if not windows:
            return True
        local = moment.astimezone(self.site.tz)
        return any(w.weekday == local.weekday() and w.start <= local.time() < w.end for w in windows)


class ContactAvailability(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=[
        (0, _("lundi")), (1, _("mardi")), (2, _("mercredi")), (3, _("jeudi")),
        (4, _("vendredi")), (5, _("samedi")), (6, _("dimanche"))])
    start = models.TimeField(_("de"))
    end = models.TimeField(_("à"))

    class Meta:
        verbose_name = _("disponibilité")
        verbose_name_plural = _("disponibilités")
        ordering = ["weekday", "start"]

    def clean(self):
        if self.start and self.end and self.start >= self.end:
            raise ValidationError(_("L'heure de fin doit suivre l'heure de début."))


WEEKDAYS = ContactAvailability._meta.get_field("weekday").choices


class OpeningHours(models.Model):
    """Weekly window when the site is expected open (disarmed)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=WEEKDAYS)
    opens_at = models.TimeField(_("ouverture"))
    closes_at = models.TimeField(_("fermeture"))

    class Meta:
        verbose_name = _("horaire d'ouverture")
        verbose_name_plural = _("horaires d'ouverture")
        ordering = ["site", "weekday", "opens_at"]

    def clean(self):
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError(_("La fermeture doit suivre l'ouverture."))


class PublicHoliday(models.Model):
    date = models.DateField(_("date"), unique=True)
    label = models.CharField(_("libellé"), max_length=100)

    class Meta:
        verbose_name = _("jour férié")
        verbose_name_plural = _("jours fériés")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.label}"


class ScheduleException(models.Model):
    """A temporary change: closed for holidays, or special hours."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="schedule_exceptions")
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))
    closed = models.BooleanField(_("fermé"), default=True)
    opens_at = models.TimeField(_("ouverture"), null=True, blank=True)
    closes_at = models.TimeField(_("fermeture"), null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("exception d'horaire")
        verbose_name_plural = _("exceptions d'horaire")
        ordering = ["site", "start_date"]

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(_("La date de fin précède la date de début."))
        if not self.closed and not (self.opens_at and self.closes_at):
            raise ValidationError(_("Indiquez les horaires spéciaux, ou cochez « fermé »."))


class Procedure(models.Model):
    """Consignes: ordered steps for one event category, at centre, customer or site level.
    The most specific one wins (site > customer > centre; a category > all)."""

    name = models.CharField(_("nom"), max_length=120)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="procedures", verbose_name=_("client"))
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="procedures", verbose_name=_("site"))
    category = models.CharField(_("catégorie d'événement"), max_length=12, blank=True,
                                help_text=_("Vide : toutes les catégories"))

    class Meta:
        verbose_name = _("consigne")
        verbose_name_plural = _("consignes")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(customer__isnull=False, site__isnull=False),
                                   name="procedure_one_scope"),
        ]

    def __str__(self):
        scope = self.site or self.customer or _("centre")
        return f"{self.name} [{scope}{' / ' + self.category if self.category else ''}]"

    @property
    def logbook_site(self):
        return self.site

    @property
    def logbook_customer(self):
        return self.customer or (self.site.customer if self.site_id else None)


class ProcedureStep(models.Model):
    class Kind(models.TextChoices):
        VERIFY_VIDEO = "verify_video", _("Levée de doute vidéo")
        CALL_SITE = "call_site", _("Appeler le site")
        CALL_LIST = "call_list", _("Appeler la liste d'appel")
        CALL_POLICE = "call_police", _("Appeler police / gendarmerie (17)")
        CALL_FIRE = "call_fire", _("Appeler les pompiers (18)")
        CALL_SAMU = "call_samu", _("Appeler le SAMU (15)")
        CALL_112 = "call_112", _("Appeler le 112")
        DISPATCH_GUARD = "dispatch_guard", _("Envoyer un agent d'intervention")
        NOTIFY_CLIENT = "notify_client", _("Prévenir le client")
        INSTRUCTION = "instruction", _("Consigne libre")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("ordre"), default=1)
    kind = models.CharField(_("action"), max_length=16, choices=Kind.choices)
    text = models.CharField(_("consigne"), max_length=300, blank=True)
    mandatory = models.BooleanField(_("obligatoire"), default=False)
    # Automated call-out: the timers run it without waiting for an operator.
    automatic = models.BooleanField(_("automatique"), default=False)

    class Meta:
        verbose_name = _("étape")
        verbose_name_plural = _("étapes")
        ordering = ["procedure", "order", "id"]

    def __str__(self):
        return f"{self.order}. {self.get_kind_display()}"


class InterventionProvider(models.Model):
    """A guard company (société d'intervention)."""

    name = models.CharField(_("nom"), max_length=150)
    phone = models.CharField(_("téléphone"), max_length=32, validators=[validate_phone])
    email = models.EmailField(_("courriel"), blank=True)
    area = models.CharField(_("zone couverte (départements)"), max_length=200, blank=True)
    response_minutes = models.PositiveIntegerField(_("délai d'intervention promis (min)"), default=20)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("société d'intervention")
        verbose_name_plural = _("sociétés d'intervention")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def covers(self, region: str) -> bool:
        areas = {a.strip() for a in self.area.replace(";", ",").split(",") if a.strip()}
        return not areas or region in areas


class PriorityOverride(models.Model):
    """A priority other than event_codes.csv's default, for a customer, site or zone."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True)
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, null=True, blank=True)
    category = models.CharField(_("catégorie"), max_length=12, blank=True)
    code = models.CharField(_("code"), max_length=8, blank=True)
    priority = models.PositiveSmallIntegerField(_("priorité"))

    class Meta:
        verbose_name = _("priorité spécifique")
        verbose_name_plural = _("priorités spécifiques")

    def clean(self):
        if not (self.customer_id or self.site_id or self.zone_id):
            raise ValidationError(_("Choisissez un client, un site ou une zone."))
        if not (self.category or self.code):
            raise ValidationError(_("Choisissez une catégorie ou un code."))
        if not 1 <= (self.priority or 0) <= 9:
            raise ValidationError(_("La priorité va de 1 (la plus haute) à 9."))


class ClientAccess(models.Model):
    """A portal user's access: a customer's sites (client), or chosen sites (installer)."""

    class Role(models.TextChoices):
        CLIENT = "client", _("Client")
        INSTALLER = "installer", _("Installateur")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_access")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="accesses")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CLIENT)
    sites = models.ManyToManyField(Site, blank=True, help_text=_("Vide : tous les sites du client"))

    class Meta:
        verbose_name = _("accès portail")
        verbose_name_plural = _("accès portail")
        constraints = [models.UniqueConstraint(fields=["user", "customer"], name="client_access_unique")]

    def __str__(self):
        return f"{self.user} → {self.customer}"


class TemporaryInstruction(OnSite, models.Model):
    """A temporary instruction (consigne temporaire) proposed by a client — "site
    closed until 3 January", "keys with the neighbour at no. 12" — and accepted
    or rejected by the centre. Rows are versions: changing an instruction
    proposes a new row that supersedes the old one once accepted, so who said
    what and when is never overwritten."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposée")
        ACCEPTED = "accepted", _("Acceptée")
        REJECTED = "rejected", _("Refusée")
        WITHDRAWN = "withdrawn", _("Retirée")
        SUPERSEDED = "superseded", _("Remplacée")
        ENDED = "ended", _("Terminée")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="temporary_instructions",
                             verbose_name=_("site"))
    text = models.TextField(_("consigne temporaire"), max_length=1000)
    starts_at = models.DateTimeField(_("à partir du"))
    ends_at = models.DateTimeField(_("jusqu'au"), db_index=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PROPOSED,
                              db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    supersedes = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="superseded_by", verbose_name=_("remplace"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    proposed_by_name = models.CharField(_("proposée par"), max_length=150)
    proposed_at = models.DateTimeField(_("proposée le"), db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_by_name = models.CharField(_("décidée par"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True, db_index=True)
    decision_note = models.CharField(_("motif de la décision"), max_length=300, blank=True)
    # When the instruction stopped applying (withdrawn, ended, superseded).
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("consigne temporaire")
        verbose_name_plural = _("consignes temporaires")
        ordering = ["site", "-proposed_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="instruction_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.site.code} v{self.version}: {self.text[:60]}"


    def in_force(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.ACCEPTED and self.starts_at <= now < self.ends_at
