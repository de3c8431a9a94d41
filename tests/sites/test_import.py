"""CSV import: good files import, bad files report every bad row and import nothing."""

from __future__ import annotations

from logbook.models import LogEntry
from sites.imports import import_csv
from sites.models import Contact, Customer, Site, Zone

CUSTOMERS = "code,name,kind,phone,email,address,notes\nK1,Boulangerie Test,company,0142603170,a@b.fr,Paris,\n"
SITES = ("code,customer,name,address,postal_code,city,region,latitude,longitude,timezone,phone,access_notes,"
         "monitoring_state\nKS1,K1,Magasin,1 rue de Rivoli,75001,Paris,75,48.86,2.35,Europe/Paris,,,in_service\n")


def test_a_good_set_of_files_imports(db, operator):
    assert import_csv(kind="customers", content=CUSTOMERS, actor=operator).ok
    report = import_csv(kind="sites", content=SITES, actor=operator)
    assert report.ok and report.created == 1
    zones = "site,number,label,zone_type,area\nKS1,1,Entrée,intrusion,1\nKS1,4,Fumée cuisine,fire,1\n"
    assert import_csv(kind="zones", content=zones).ok
    contacts = "site,order,name,role,phone,phone_alt,email,in_call_list,notes\nKS1,1,Jean,keyholder,06 11 22 33 44,,,1,\n"
    assert import_csv(kind="contacts", content=contacts).ok
    assert Site.objects.get(code="KS1").customer.code == "K1"
    assert Zone.objects.filter(site__code="KS1").count() == 2
    assert Contact.objects.get(name="Jean").phone == "+33611223344"
    assert LogEntry.objects.filter(action="config.import").count() == 4


def test_reimport_updates_instead_of_duplicating(db):
    import_csv(kind="customers", content=CUSTOMERS)
    report = import_csv(kind="customers", content=CUSTOMERS.replace("Boulangerie Test", "Boulangerie Renommée"))
    assert report.ok and report.updated == 1
    assert Customer.objects.get(code="K1").name == "Boulangerie Renommée"


def test_a_bad_file_reports_each_bad_row_and_imports_nothing(db):
    import_csv(kind="customers", content=CUSTOMERS)
    bad = SITES + ("KS2,NOPE,Inconnu,2 rue,75001,Paris,75,,,Europe/Paris,,,in_service\n"
                   "KS3,K1,Bon site,3 rue,75001,Paris,75,,,Mars/Olympus,,,in_service\n"
                   "KS4,K1,Autre bon site,4 rue,75001,Paris,75,,,Europe/Paris,,,in_service\n")
    report = import_csv(kind="sites", content=bad)
    assert not report.ok
    text = "\n".join(report.errors)
    # File lines, the header being line 1.
    assert "ligne 3" in text and "ligne 4" in text, text
    assert "ligne 5" not in text
    assert "Fuseau horaire inconnu" in text
    assert Site.objects.count() == 0


def test_bad_phone_in_contacts_is_reported(db):
    import_csv(kind="customers", content=CUSTOMERS)
    import_csv(kind="sites", content=SITES)
    contacts = "site,order,name,role,phone,phone_alt,email,in_call_list,notes\nKS1,1,Jean,keyholder,12,,,1,\n"
    report = import_csv(kind="contacts", content=contacts)
    assert not report.ok and "ligne 2" in report.errors[0]
    assert Contact.objects.count() == 0


def test_unknown_kind_and_garbage(db):
    assert not import_csv(kind="planets", content="a,b\n").ok
    report = import_csv(kind="sites", content="\x00\x01garbage")
    assert not report.ok
