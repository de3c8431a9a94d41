"""Demo data of dispatch (idempotent): the escalation ladder, the centre's own
site for system alarms, an automatic call-out in a site's consignes, an
installer to notify about faults left open."""

from __future__ import annotations

from django.conf import settings

from dispatch.ladder_defaults import DEFAULT_RUNGS
from dispatch.models import EscalationRung
from sites import models as m
from sites.services import system_site

LYON = "S010"  # Résidence principale (Lyon): the family is called automatically on intrusion


def seed(log=print) -> None:
    for priority, level, after, audience, colour, repeat, label in DEFAULT_RUNGS:
        EscalationRung.objects.get_or_create(priority=priority, category="", level=level, defaults={
            "after_seconds": after, "audience": audience, "colour": colour, "repeat_seconds": repeat,
            "label": label})

    system_site()

    lyon = m.Site.objects.filter(code=LYON).first()
    if lyon is not None:
        procedure, _ = m.Procedure.objects.get_or_create(name="Intrusion — résidence Lefèvre", site=lyon,
                                                         category="alarm")
        procedure.steps.all().delete()
        steps = [
            ("call_list", "Appel automatique de la famille (SMS et courriel, acquittement par code)", False, True),
            ("verify_video", "Levée de doute vidéo sur les caméras du séjour et du jardin", True, False),
            ("call_site", "Appeler la maison, demander le mot de passe", True, False),
            ("dispatch_guard", "Envoyer l'agent si la levée de doute n'écarte pas l'intrusion", False, False),
            ("call_police", "Police (17) si intrusion confirmée", False, False),
        ]
        for order, (kind, text, mandatory, automatic) in enumerate(steps, start=1):
            procedure.steps.create(order=order, kind=kind, text=text, mandatory=mandatory, automatic=automatic)

    bastille = m.Site.objects.filter(code="S001").first()
    if bastille is not None:
        installer, _ = m.Contact.objects.update_or_create(site=bastille, name="Alarme Services IDF (SAV)", defaults={
            "order": 99, "role": m.Contact.Role.INSTALLER, "phone": "+33145678900",
            "email": "sav@alarme-services.example", "in_call_list": False})
        m.Site.objects.filter(pk=bastille.pk).update(installer=installer)
    log(f"dispatch: {EscalationRung.objects.count()} escalation rungs, system site {settings.SYSTEM_SITE_CODE}, "
        f"automatic call-out on {LYON}, installer on S001")
