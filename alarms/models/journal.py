"""The signal journal: every frame or signal received, accepted or not, with
its parsed events. Accepted signals are also the intake outbox: the receiver
commits them with ``process_state = pending`` and the intake worker turns
them into alarms afterwards, off the ACK path."""

from __future__ import annotations

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class Signal(models.Model):
    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("accepté")
        DUPLICATE = "duplicate", _("doublon")
        REJECTED = "rejected", _("rejeté")

    class Transport(models.TextChoices):
        TCP = "tcp", "TCP"
        UDP = "udp", "UDP"
        HTTP = "http", "HTTP"
        VIDEO = "video", _("vidéo")
        MANUAL = "manual", _("manuel")
        INTERNAL = "internal", _("interne")

    class ProcessState(models.TextChoices):
        NONE = "none", _("sans objet")
        PENDING = "pending", _("en attente")
        DONE = "done", _("traité")
        FAILED = "failed", _("en erreur")

    received_at = models.DateTimeField(_("reçu le"))
    receiver = models.CharField(_("récepteur"), max_length=32)
    transport = models.CharField(max_length=8, choices=Transport.choices)
    peer = models.CharField(_("origine"), max_length=64, blank=True)
    raw = models.BinaryField(_("trame brute"), blank=True)
    token = models.CharField(max_length=16, blank=True)
    sequence = models.CharField(max_length=8, blank=True)
    receiver_prefix = models.CharField(max_length=8, blank=True)
    line_prefix = models.CharField(max_length=8, blank=True)
    account = models.CharField(_("compte"), max_length=20, blank=True)
    encrypted = models.BooleanField(default=False)
    # The journal references without foreign-key constraints (see Meta): a frame is
    # journaled even if its transmitter was deleted a moment ago; the ORM's SET_NULL
    # still clears the references when a transmitter or site is deleted.
    transmitter = models.ForeignKey("sites.Transmitter", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="signals", db_constraint=False)
    site = models.ForeignKey("sites.Site", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="signals", db_constraint=False, db_index=False)
    outcome = models.CharField(_("résultat"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    reply = models.CharField(_("réponse"), max_length=8, blank=True)
    payload = models.TextField(_("données"), blank=True)
    xdata = models.JSONField(null=True, blank=True)
    panel_time = models.DateTimeField(null=True, blank=True)
    clock_skew_seconds = models.FloatField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    duplicate_of = models.BigIntegerField(null=True, blank=True)
    process_state = models.CharField(max_length=8, choices=ProcessState.choices,
                                     default=ProcessState.NONE)
    processed_at = models.DateTimeField(null=True, blank=True)
    process_error = models.TextField(blank=True)
    process_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("journal des signaux")
        ordering = ["-id"]
        # Every index is paid on the receiver's path to the ACK (PostgreSQL's share of
        # each frame): one per filter of the journal page, none twice, and partial ones
        # where the rows searched are the rare ones. No foreign-key constraints either
        # (see above), for the same reason and so that nothing refuses a frame.
        indexes = [
            models.Index(fields=["id"], name="signal_pending_idx",
                         condition=models.Q(process_state="pending")),
            models.Index(fields=["site", "-id"], name="signal_site_idx"),
            # A b-tree, not BRIN: the journal page orders by id with a LIMIT, and only a
            # b-tree lets the planner start from a past period instead of walking the
            # primary key back from the newest row (measured: 13 ms at 200,000 rows).
            models.Index(fields=["-received_at"], name="signal_received_idx"),
            models.Index(Upper("account"), name="signal_account_idx"),
            models.Index(fields=["outcome", "-id"], name="signal_notaccepted_idx",
                         condition=~models.Q(outcome="accepted")),
        ]

    def __str__(self):
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} #{self.account or '?'} {self.token} {self.outcome}"

    def raw_text(self) -> str:
        """The raw frame as readable text: printable ASCII kept, the rest escaped."""
        data = bytes(self.raw or b"")
        return "".join(chr(b) if 32 <= b < 127 else f"\\x{b:02x}" for b in data)


class SignalDedup(models.Model):
    """De-duplication across receivers: account + sequence + payload, within a window."""

    key = models.UUIDField(primary_key=True)  # 128 bits of SHA-256(account, sequence, payload)
    signal_id = models.BigIntegerField()
    seen_at = models.DateTimeField()

    class Meta:
        default_permissions = ()
        # The purge deletes by age; keys arrive in time order, so a BRIN index serves it
        # at almost no cost on the receiver's path.
        indexes = [BrinIndex(fields=["seen_at"], name="signaldedup_seen_brin")]


class SignalEvent(models.Model):
    """One event of a signal (a DC-03 code, a Contact ID event, an API event…)."""

    class Qualifier(models.TextChoices):
        NEW = "new", _("nouveau")
        RESTORE = "restore", _("rétablissement")
        STATUS = "status", _("état")

    class Disposition(models.TextChoices):
        PENDING = "pending", _("en attente")
        ALARM = "alarm", _("alarme créée")
        ATTACHED = "attached", _("rattaché à l'alarme ouverte")
        RESTORE = "restore", _("rétablissement")
        OPENCLOSE = "openclose", _("mise en/hors service")
        SUPERVISION = "supervision", _("supervision")
        TEST = "test", _("test")
        ON_TEST = "on_test", _("site en test")
        OUT_OF_SERVICE = "out_of_service", _("site hors service")
        STORM = "storm", _("mode tempête")
        FAULT = "fault", _("défaut technique")
        RUNAWAY = "runaway", _("transmetteur emballé")
        LOGGED = "logged", _("consigné")

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    position = models.PositiveSmallIntegerField(default=0)
    protocol = models.CharField(max_length=10)
    code = models.CharField(_("code"), max_length=8)
    qualifier = models.CharField(max_length=8, choices=Qualifier.choices, default=Qualifier.NEW)
    raw_qualifier = models.CharField(max_length=2, blank=True)
    category = models.CharField(_("catégorie"), max_length=12)
    priority = models.PositiveSmallIntegerField(_("priorité"))
    description = models.CharField(max_length=200, blank=True)
    zone = models.CharField(_("zone"), max_length=8, blank=True)
    area = models.CharField(_("secteur"), max_length=8, blank=True)
    user_number = models.CharField(_("utilisateur"), max_length=8, blank=True)
    text = models.CharField(_("texte"), max_length=250, blank=True)
    modifiers = models.JSONField(default=dict, blank=True)
    old = models.BooleanField(default=False)
    panel_time = models.CharField(max_length=8, blank=True)
    site = models.ForeignKey("sites.Site", on_delete=models.SET_NULL, null=True, blank=True, db_constraint=False,
                             db_index=False)
    # Filled by the intake worker, never by the receiver: partial indexes (Meta) cost the
    # receiver nothing.
    zone_ref = models.ForeignKey("sites.Zone", on_delete=models.SET_NULL, null=True, blank=True, db_index=False)
    alarm = models.ForeignKey("alarms.Alarm", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="signal_events", db_index=False)
    disposition = models.CharField(max_length=16, choices=Disposition.choices, default=Disposition.PENDING)

    class Meta:
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        ordering = ["signal_id", "position"]
        indexes = [
            models.Index(fields=["site", "-id"], name="sigevent_site_idx"),
            models.Index(fields=["zone_ref"], name="sigevent_zone_idx", condition=models.Q(zone_ref__isnull=False)),
            models.Index(fields=["alarm"], name="sigevent_alarm_idx", condition=models.Q(alarm__isnull=False)),
        ]

    def __str__(self):
        return f"{self.protocol} {self.code} {self.zone}"
