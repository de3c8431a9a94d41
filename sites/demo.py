"""The demo centre: 3 customers, 12 sites across France, zones, contacts,
schedules, procedures, 2 guard companies, the demo users and transmitters.
Idempotent: rows are found by their codes and updated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model

from sites import models as m
from sites.roles import ADMINISTRATOR, CLIENT, OPERATOR, SUPERVISOR
from sites.roles_setup import ensure_roles

DEMO_AES_HEX_KEY = "00112233445566778899AABBCCDDEEFF"

CUSTOMERS = [
    ("C001", "Boulangeries Martin SARL", m.Customer.Kind.COMPANY, "01 42 60 31 70", "contact@boulangeries-martin.fr",
     "12 rue du Faubourg Saint-Antoine, 75011 Paris", True),
    ("C002", "Pharmacies du Sud-Ouest", m.Customer.Kind.COMPANY, "05 56 44 21 09", "securite@pharmacies-so.fr",
     "48 cours de l'Intendance, 33000 Bordeaux", False),
    ("C003", "M. et Mme Lefèvre", m.Customer.Kind.PERSON, "06 12 48 75 30", "famille.lefevre@example.fr",
     "7 allée des Tilleuls, 69005 Lyon", True),
]

# code, customer, name, address, postal code, city, département, lat, lon, phone
SITES = [
    ("S001", "C001", "Boulangerie Bastille", "12 rue du Faubourg Saint-Antoine", "75011", "Paris", "75",
     "48.852100", "2.372600", "01 42 60 31 71"),
    ("S002", "C001", "Boulangerie Montmartre", "34 rue des Abbesses", "75018", "Paris", "75",
     "48.884500", "2.338400", "01 46 06 22 18"),
    ("S003", "C001", "Laboratoire de Montreuil", "85 boulevard de Chanzy", "93100", "Montreuil", "93",
     "48.858900", "2.437900", "01 48 70 12 55"),
    ("S004", "C001", "Boulangerie Lille Centre", "21 rue de Béthune", "59000", "Lille", "59",
     "50.634800", "3.061700", "03 20 54 87 12"),
    ("S005", "C002", "Pharmacie de l'Intendance", "48 cours de l'Intendance", "33000", "Bordeaux", "33",
     "44.842300", "-0.575300", "05 56 44 21 10"),
    ("S006", "C002", "Pharmacie des Capucins", "5 place des Capucins", "33800", "Bordeaux", "33",
     "44.830600", "-0.567800", "05 56 91 33 40"),
    ("S007", "C002", "Pharmacie du Capitole", "17 rue du Taur", "31000", "Toulouse", "31",
     "43.606100", "1.442900", "05 61 21 45 78"),
    ("S008", "C002", "Pharmacie de la Canebière", "62 La Canebière", "13001", "Marseille", "13",
     "43.297400", "5.380600", "04 91 90 12 34"),
    ("S009", "C002", "Pharmacie Graslin", "3 rue Crébillon", "44000", "Nantes", "44",
     "47.213300", "-1.560800", "02 40 48 17 96"),
    ("S010", "C003", "Résidence principale (Lyon)", "7 allée des Tilleuls", "69005", "Lyon", "69",
     "45.759600", "4.820000", "04 78 25 63 11"),
    ("S011", "C003", "Maison de vacances (Annecy)", "14 chemin des Crêts", "74000", "Annecy", "74",
     "45.905600", "6.129000", "04 50 45 78 20"),
    ("S012", "C003", "Appartement (Strasbourg)", "9 quai des Bateliers", "67000", "Strasbourg", "67",
     "48.580100", "7.754500", "03 88 32 14 70"),
]

ZONES = [
    ("1", "Porte d'entrée", m.Zone.Type.INTRUSION), ("2", "Détecteur hall", m.Zone.Type.INTRUSION),
    ("3", "Détecteur arrière-boutique", m.Zone.Type.INTRUSION), ("4", "Détecteur de fumée", m.Zone.Type.FIRE),
    ("5", "Bouton d'agression caisse", m.Zone.Type.PANIC), ("6", "Sonde inondation", m.Zone.Type.TECHNICAL),
    ("7", "Autoprotection centrale", m.Zone.Type.TAMPER), ("17", "Volumétrique réserve", m.Zone.Type.INTRUSION),
]

CONTACTS = [
    (1, "Jean Martin", m.Contact.Role.MANAGER, "06 11 22 33 44", "jean.martin@example.fr"),
    (2, "Sophie Bernard", m.Contact.Role.KEYHOLDER, "06 22 33 44 55", "sophie.bernard@example.fr"),
    (3, "Karim Haddad", m.Contact.Role.KEYHOLDER, "07 81 92 03 14", ""),
]

# account, site, encryption, key format, key
TRANSMITTERS = [
    ("1234", "S001", m.Transmitter.Encryption.NONE, m.Transmitter.KeyFormat.HEX, ""),
    ("5678", "S005", m.Transmitter.Encryption.AES128, m.Transmitter.KeyFormat.HEX, DEMO_AES_HEX_KEY),
    ("5A3C", "S010", m.Transmitter.Encryption.NONE, m.Transmitter.KeyFormat.HEX, ""),
    ("9101", "S007", m.Transmitter.Encryption.AES128, m.Transmitter.KeyFormat.ASCII, "ArcDemoKey16Char"),
    ("9102", "S008", m.Transmitter.Encryption.AES192, m.Transmitter.KeyFormat.ASCII, "ArcDemoKeyOf24Characters"),
    ("9103", "S011", m.Transmitter.Encryption.AES256, m.Transmitter.KeyFormat.ASCII,
     "ArcDemoKeyOfThirtyTwoCharacters!"),
]

PROCEDURES = {
    # (name, category): steps (kind, text, mandatory)
    ("Consigne générale", ""): [
        ("call_site", "Appeler le site et demander le mot de passe.", False),
        ("call_list", "Appeler la liste d'appel dans l'ordre.", True),
        ("notify_client", "Informer le client de la suite donnée.", False),
    ],
    ("Intrusion", "alarm"): [
        ("verify_video", "Levée de doute vidéo sur les caméras de la zone.", True),
        ("call_site", "Appeler le site ; mot de passe obligatoire.", False),
        ("call_list", "Appeler les détenteurs de clés dans l'ordre.", True),
        ("dispatch_guard", "Intrusion confirmée ou doute : envoyer l'agent d'intervention.", False),
        ("call_police", "Intrusion confirmée : prévenir le 17 après levée de doute.", False),
    ],
    ("Incendie", "fire"): [
        ("call_site", "Appeler le site immédiatement.", False),
        ("call_fire", "Sans réponse ou feu confirmé : appeler le 18.", True),
        ("call_list", "Prévenir les détenteurs de clés.", True),
    ],
    ("Agression", "panic"): [
        ("call_site", "Appeler le site ; demander le mot de passe (contrainte ?).", True),
        ("call_police", "Mot de passe sous contrainte ou pas de réponse : 17 immédiatement.", True),
        ("call_list", "Prévenir le responsable.", False),
    ],
    ("Défaut technique", "trouble"): [
        ("call_list", "Prévenir le responsable du site pendant les heures ouvrées.", False),
        ("instruction", "Signaler à l'installateur si le défaut persiste plus de 24 h.", False),
    ],
}

PROVIDERS = [
    ("Intervention Sécurité Île-de-France", "01 45 67 89 10", "75,77,78,91,92,93,94,95", 20),
    ("Sud Intervention Gardiennage", "05 56 78 90 12", "13,31,33,40,64,69,74", 25),
]

HOLIDAYS = [
    ("2026-01-01", "Jour de l'an"), ("2026-04-06", "Lundi de Pâques"), ("2026-05-01", "Fête du Travail"),
    ("2026-05-08", "Victoire 1945"), ("2026-05-14", "Ascension"), ("2026-05-25", "Lundi de Pentecôte"),
    ("2026-07-14", "Fête nationale"), ("2026-08-15", "Assomption"), ("2026-11-01", "Toussaint"),
    ("2026-11-11", "Armistice 1918"), ("2026-12-25", "Noël"), ("2027-01-01", "Jour de l'an"),
]

USERS = [
    ("operator", "Camille", "Roux", [OPERATOR]),
    ("operator2", "Mehdi", "Benali", [OPERATOR]),
    ("supervisor", "Nathalie", "Giraud", [SUPERVISOR, OPERATOR]),
    ("admin", "Paul", "Mercier", [ADMINISTRATOR, SUPERVISOR, OPERATOR]),
    ("client", "Jean", "Martin", [CLIENT]),
]


def seed(log=print) -> None:
    groups = ensure_roles()
    customers = {}
    for code, name, kind, phone, email, address, video in CUSTOMERS:
        customers[code], _ = m.Customer.objects.update_or_create(code=code, defaults={
            "name": name, "kind": kind, "phone": phone, "email": email, "address": address,
            "contract_video": video})

    general = _procedure("Consigne générale", "")
    for (name, category), steps in PROCEDURES.items():
        procedure = general if not category else _procedure(name, category)
        procedure.steps.all().delete()
        for order, (kind, text, mandatory) in enumerate(steps, start=1):
            procedure.steps.create(order=order, kind=kind, text=text, mandatory=mandatory)

    for date, label in HOLIDAYS:
        m.PublicHoliday.objects.update_or_create(date=dt.date.fromisoformat(date), defaults={"label": label})

    sp2 = m.ATSCategory.objects.get(code="SP2")
    sites = {}
    for code, customer, name, address, postal, city, region, lat, lon, phone in SITES:
        site, _ = m.Site.objects.update_or_create(code=code, defaults={
            "customer": customers[customer], "name": name, "address": address, "postal_code": postal,
            "city": city, "region": region, "latitude": Decimal(lat), "longitude": Decimal(lon),
            "phone": _e164(phone), "access_notes": "Boîte à clés côté cour, code 4821. Chien sur place."
            if customer == "C003" else "Rideau métallique : clé n° 3 du trousseau. Parking à l'arrière.",
        })
        sites[code] = site
        for number, label, zone_type in ZONES:
            m.Zone.objects.update_or_create(site=site, number=number,
                                            defaults={"label": label, "zone_type": zone_type, "area": "1"})
        for order, cname, role, cphone, email in CONTACTS:
            contact, created = m.Contact.objects.update_or_create(site=site, name=cname, defaults={
                "order": order, "role": role, "phone": _e164(cphone), "email": email})
            if created:
                contact.set_passwords(ok="soleil", duress="orage")
                contact.save()
        if customer != "C003" and not site.opening_hours.exists():
            for weekday in range(0, 6):
                site.opening_hours.create(weekday=weekday, opens_at=dt.time(7, 0), closes_at=dt.time(19, 30))

    for account, site_code, encryption, key_format, key in TRANSMITTERS:
        transmitter = m.Transmitter.objects.filter(account_key=m.normalise_account(account)).first() \
            or m.Transmitter(account=account)
        transmitter.site = sites[site_code]
        transmitter.encryption = encryption
        transmitter.key_format = key_format
        transmitter.receiver_prefix = ""
        transmitter.line_prefix = ""
        transmitter.ats_category = sp2
        transmitter.test_interval_seconds = 86400
        if key:
            transmitter.set_key(key)
        else:
            transmitter.key_encrypted = ""
        transmitter.save()

    for name, phone, area, minutes in PROVIDERS:
        m.InterventionProvider.objects.update_or_create(name=name, defaults={
            "phone": _e164(phone), "area": area, "response_minutes": minutes})

    User = get_user_model()
    password = settings.DEMO_PASSWORD
    for username, first, last, roles in USERS:
        user, created = User.objects.get_or_create(username=username, defaults={
            "first_name": first, "last_name": last, "email": f"{username}@arc.example"})
        user.is_staff = CLIENT not in roles
        user.is_superuser = username == "admin"
        user.set_password(password)
        user.save()
        user.groups.set([groups[r] for r in roles])
    client = User.objects.get(username="client")
    m.ClientAccess.objects.get_or_create(user=client, customer=customers["C001"])
    log(f"demo centre: {len(customers)} customers, {len(sites)} sites, "
        f"{m.Transmitter.objects.count()} transmitters, users {', '.join(u[0] for u in USERS)}")


def _procedure(name: str, category: str) -> m.Procedure:
    procedure, _ = m.Procedure.objects.get_or_create(name=name, customer=None, site=None, category=category)
    return procedure


def _e164(phone: str) -> str:
    from sites.phones import normalise_phone

    return normalise_phone(phone)
