"""The live queue in a real Chromium against a real daphne: a DC-09 frame
reaches the queue, two operators race for one alarm, and the feed cut and
restored resyncs what was missed."""

from __future__ import annotations

import socket
import time

import pytest

from alarms.dc09 import replies
from alarms.models import Alarm
from arc.embedded import free_port
from tests.builders import make_transmitter, make_zone
from tests.console.factories import make_alarm
from tests.e2e.console_support import chromium, console_page, in_thread, open_console, wait_until  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_dc09_frame_sent_to_the_receiver_appears_in_the_queue(console_page, arc_process, web_server,  # noqa: F811
                                                                 operator, site_a):
    make_transmitter(site_a, "7A10")
    make_zone(site_a, "4", label="Réserve")
    rx_port = free_port()
    arc_process("run_receiver", "--port", str(rx_port), "--name", "rx-e2e", port=rx_port)
    arc_process("run_intake")
    page = open_console(console_page(web_server, operator), web_server)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", rx_port), timeout=5) as panel:
        panel.sendall(replies.event_frame("SIA-DCS", "0042", "", "L0", "7A10", "#7A10|NBA4"))
        assert panel.recv(1024)  # the receiver acknowledged after commit
    row = page.locator("#queue-body tr[data-id]").filter(has_text=site_a.name)
    row.wait_for(timeout=10000)
    elapsed = time.monotonic() - started
    alarm = Alarm.objects.get(site=site_a)
    assert row.get_attribute("data-id") == str(alarm.pk)
    assert "Réserve" in row.inner_text() and "P" in row.locator(".prio").inner_text()
    assert page.locator("#count-open").inner_text() == "1"
    assert elapsed < 10


def test_two_operators_race_to_take_one_alarm_and_exactly_one_wins(console_page, web_server, operator,  # noqa: F811
                                                                   operator2, site_a):
    pages = [open_console(console_page(web_server, u), web_server) for u in (operator, operator2)]
    alarm = in_thread(make_alarm, site_a, title="Intrusion vitrine")
    for page in pages:
        page.locator(f'#queue-body tr[data-id="{alarm.pk}"]').wait_for()
    # Both click "take" at the same wall-clock instant.
    at = pages[0].evaluate("Date.now() + 400")
    for page in pages:
        page.evaluate(f"setTimeout(() => arcConsole.take({alarm.pk}), {at} - Date.now())")
    winner_url = f"/console/alarm/{alarm.pk}/"
    outcome = wait_until(lambda: [winner_url in p.url or p.locator("#console-error").is_visible() for p in pages]
                         if all(winner_url in p.url or p.locator("#console-error").is_visible() for p in pages)
                         else None, timeout=8)
    assert outcome is not None
    winners = [p for p in pages if winner_url in p.url]
    losers = [p for p in pages if winner_url not in p.url]
    assert len(winners) == 1 and len(losers) == 1
    alarm.refresh_from_db()
    assert alarm.state == Alarm.State.TAKEN
    holder = alarm.taken_by.get_full_name()
    assert holder in losers[0].locator("#console-error").inner_text()
    # The loser's queue shows who has it.
    losers[0].locator(f'#queue-body tr[data-id="{alarm.pk}"] .holder', has_text=holder).wait_for()


def test_the_live_feed_cut_and_restored_resyncs_what_was_missed(console_page, arc_process, operator, site_a):  # noqa: F811
    port = free_port()
    web = arc_process("run_web", "--port", str(port), port=port)
    base = f"http://127.0.0.1:{port}"
    page = open_console(console_page(base, operator), base)
    before = in_thread(make_alarm, site_a, title="Avant la coupure")
    page.locator(f'#queue-body tr[data-id="{before.pk}"]').wait_for()
    web.stop()
    page.locator("#feed-banner").wait_for(state="visible", timeout=5000)
    assert "COUPÉ" in page.locator("#feed-banner").inner_text() or "INJOIGNABLE" in page.locator(
        "#feed-banner").inner_text()
    # While the browser is cut off: a new alarm, and the first one is closed.
    missed = in_thread(make_alarm, site_a, title="Pendant la coupure", priority=1, category="fire")
    Alarm.objects.filter(pk=before.pk).update(state="closed", version=before.version + 5)
    arc_process("run_web", "--port", str(port), port=port)
    back = time.monotonic()
    page.locator(f'#queue-body tr[data-id="{missed.pk}"]').wait_for(timeout=10000)
    page.wait_for_function("arcConsole.feed.status === 'live'", timeout=10000)
    # On screen within 2 s of the browser reconnecting (earlier if the polling
    # fallback got it first: then the difference is negative).
    after_reconnect = page.evaluate(f"arcConsole.shown.get({missed.pk}) - arcConsole.feed.connectedAt")
    assert after_reconnect <= 2000, after_reconnect
    assert time.monotonic() - back < 10
    assert page.locator("#feed-banner").is_hidden()
    # The periodic reconciliation removes what the database no longer has active.
    page.evaluate("arcConsole.feed.reconcile(false)")
    page.locator(f'#queue-body tr[data-id="{before.pk}"]').wait_for(state="detached", timeout=5000)
