"""Schedule supervision: late to open / close, opened outside hours, early
close; public holidays, exceptions, time zones and the DST nights."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from alarms.models import SignalEvent
from dispatch.models import SiteSchedule
from dispatch.schedule import Calendar
from sites.models import OpeningHours, PublicHoliday, ScheduleException, Site
from sites.services import site_set_armed
from tests.builders import make_site
from tests.dispatch.conftest import tick

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def at(y, m, d, h, mi=0, tz=PARIS) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=tz).astimezone(dt.UTC)


def raised() -> list[str]:
    return list(SignalEvent.objects.filter(signal__peer="arc-timers").order_by("id").values_list("text", flat=True))


@pytest.fixture
def shop(customer_a):
    """Open Monday to Saturday 08:00-19:00 Paris time; 15 min to open, 30 to close."""
    site = make_site(customer_a, code="SHOP", timezone="Europe/Paris", open_tolerance_minutes=15,
                     close_tolerance_minutes=30)
    for weekday in range(6):
        OpeningHours.objects.create(site=site, weekday=weekday, opens_at=dt.time(8), closes_at=dt.time(19))
    return site


def arm(site, state, when):
    site_set_armed(site=site, armed_state=state, at=when)


def test_late_to_open_and_late_to_close(shop):
    tuesday = (2026, 6, 2)
    arm(shop, Site.Armed.ARMED, at(*tuesday, 7))
    with time_machine.travel(at(*tuesday, 7, 0), tick=False) as clock:
        tick()  # creates the site's schedule row
        state = SiteSchedule.objects.get(site=shop)
        assert state.next_check == "open" and state.next_check_at == at(*tuesday, 8, 15)
        clock.move_to(at(*tuesday, 8, 14))
        tick()
        assert raised() == []
        clock.move_to(at(*tuesday, 8, 15))
        tick()
        [text] = raised()
        assert text.startswith("Retard à l'ouverture")
        arm(shop, Site.Armed.DISARMED, at(*tuesday, 8, 20))  # the baker arrives late: that is fine
        clock.move_to(at(*tuesday, 8, 21))
        tick()
        assert len(raised()) == 1
        clock.move_to(at(*tuesday, 19, 30))
        tick()
        assert raised()[-1].startswith("Retard à la fermeture")
        arm(shop, Site.Armed.ARMED, at(*tuesday, 19, 40))
        clock.move_to(at(*tuesday, 19, 41))
        tick()
        assert len(raised()) == 2
        state.refresh_from_db()
        assert state.next_check == "open" and state.next_check_at == at(2026, 6, 3, 8, 15)


def test_on_time_site_raises_nothing(shop):
    arm(shop, Site.Armed.ARMED, at(2026, 6, 1, 6))
    with time_machine.travel(at(2026, 6, 2, 7, 0), tick=False) as clock:
        tick()
        arm(shop, Site.Armed.DISARMED, at(2026, 6, 2, 7, 50))  # 10 min early: within tolerance
        clock.move_to(at(2026, 6, 2, 8, 16))
        tick()
        arm(shop, Site.Armed.ARMED, at(2026, 6, 2, 19, 5))
        clock.move_to(at(2026, 6, 2, 19, 31))
        tick()
    assert raised() == []


def test_opened_outside_hours_and_early_close(shop):
    arm(shop, Site.Armed.ARMED, at(2026, 6, 1, 20))
    with time_machine.travel(at(2026, 6, 2, 2, 0), tick=False) as clock:
        tick()
        arm(shop, Site.Armed.DISARMED, at(2026, 6, 2, 2, 10))  # the middle of the night
        clock.move_to(at(2026, 6, 2, 2, 11))
        tick()
        tick()
        [text] = raised()
        assert text.startswith("Ouverture hors horaires") and "02:10" in text
        clock.move_to(at(2026, 6, 2, 15, 0))
        arm(shop, Site.Armed.ARMED, at(2026, 6, 2, 15, 0))  # closes four hours early
        tick()
        assert raised()[-1].startswith("Fermeture anticipée")


def test_public_holiday_and_exception_mean_no_opening_expected(shop):
    PublicHoliday.objects.create(date=dt.date(2026, 5, 1), label="Fête du Travail")  # a Friday
    ScheduleException.objects.create(site=shop, start_date=dt.date(2026, 8, 3), end_date=dt.date(2026, 8, 22),
                                     closed=True, reason="congés annuels")
    calendar = Calendar(shop)
    assert calendar.windows_on(dt.date(2026, 5, 1)) == []
    assert len(calendar.windows_on(dt.date(2026, 5, 2))) == 1
    check = calendar.next_check(at(2026, 4, 30, 20))
    assert (check.kind, check.at) == ("open", at(2026, 5, 2, 8, 15))
    check = calendar.next_check(at(2026, 8, 1, 20))
    assert check.at == at(2026, 8, 24, 8, 15)
    arm(shop, Site.Armed.ARMED, at(2026, 4, 30, 20))
    with time_machine.travel(at(2026, 5, 1, 7), tick=False) as clock:
        tick()
        clock.move_to(at(2026, 5, 1, 12))
        tick()
    assert raised() == []


def test_spring_forward_night_paris(shop):
    """29 March 2026: 02:00 CET becomes 03:00 CEST. Monday's opening is 06:15 UTC, not 07:15."""
    calendar = Calendar(shop)
    check = calendar.next_check(at(2026, 3, 28, 20))  # Saturday evening, after the close check
    assert check.at == dt.datetime(2026, 3, 30, 6, 15, tzinfo=dt.UTC)
    # A time that does not exist that night (02:30) is read one hour later in wall-clock terms.
    ScheduleException.objects.create(site=shop, start_date=dt.date(2026, 3, 29), end_date=dt.date(2026, 3, 29),
                                     closed=False, opens_at=dt.time(2, 30), closes_at=dt.time(6, 0))
    calendar = Calendar(shop)
    [window] = calendar.windows_on(dt.date(2026, 3, 29))
    assert window.opens == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)  # 03:30 CEST
    assert window.closes == dt.datetime(2026, 3, 29, 4, 0, tzinfo=dt.UTC)  # 06:00 CEST
    arm(shop, Site.Armed.ARMED, at(2026, 3, 28, 20))
    with time_machine.travel(dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC), tick=False) as clock:
        tick()
        clock.move_to(dt.datetime(2026, 3, 29, 1, 44, tzinfo=dt.UTC))
        tick()
        assert raised() == []
        clock.move_to(dt.datetime(2026, 3, 29, 1, 45, tzinfo=dt.UTC))  # 03:45 CEST = 02:30 + 15 min
        tick()
        assert len(raised()) == 1 and raised()[0].startswith("Retard à l'ouverture")


def test_fall_back_night_paris(shop):
    """25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice (the first one counts)."""
    ScheduleException.objects.create(site=shop, start_date=dt.date(2026, 10, 25), end_date=dt.date(2026, 10, 25),
                                     closed=False, opens_at=dt.time(1, 0), closes_at=dt.time(2, 30))
    calendar = Calendar(shop)
    [window] = calendar.windows_on(dt.date(2026, 10, 25))
    assert window.opens == dt.datetime(2026, 10, 24, 23, 0, tzinfo=dt.UTC)  # 01:00 CEST
    assert window.closes == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # first 02:30 (CEST)
    # Monday after: 08:00 CET = 07:00 UTC.
    check = calendar.next_check(at(2026, 10, 25, 12))
    assert check.at == dt.datetime(2026, 10, 26, 7, 15, tzinfo=dt.UTC)
    arm(shop, Site.Armed.DISARMED, at(2026, 10, 24, 23, 5, tz=dt.UTC))
    with time_machine.travel(dt.datetime(2026, 10, 24, 23, 10, tzinfo=dt.UTC), tick=False) as clock:
        tick()
        clock.move_to(dt.datetime(2026, 10, 25, 0, 59, tzinfo=dt.UTC))
        tick()
        assert raised() == []
        clock.move_to(dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC))  # 02:30 CEST + 30 min = 02:00 CET
        tick()
        assert len(raised()) == 1 and raised()[0].startswith("Retard à la fermeture")


def test_site_in_another_time_zone(customer_a):
    site = make_site(customer_a, code="NOUMEA", timezone="Pacific/Noumea", open_tolerance_minutes=0)
    OpeningHours.objects.create(site=site, weekday=0, opens_at=dt.time(7), closes_at=dt.time(17))
    check = Calendar(site).next_check(dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC))  # Monday 11:00 in Nouméa
    # Monday's opening (07:00 +11 = Sunday 20:00 UTC) is past: next is Monday's closing at 17:30 local.
    assert (check.kind, check.at) == ("close", dt.datetime(2026, 6, 1, 6, 30, tzinfo=dt.UTC))
