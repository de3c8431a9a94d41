"""The client portal in a real Chromium on a phone-sized screen: no sideways
scrolling, a live timeline that shows what the centre does as it happens,
and test mode from the phone."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from alarms.feed import feed_record
from alarms.models import Alarm
from sites.models import Site

pytestmark = [pytest.mark.e2e]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def _in_thread(fn):
    # Playwright's sync API holds an event loop in this thread; the doorbell's async_to_sync needs another.
    result = {}

    def run():
        try:
            result["value"] = fn()
        except BaseException as exc:
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if "error" in result:
        raise result["error"]
    return result.get("value")


@pytest.fixture
def phone(web_server, client_a):
    from playwright.sync_api import sync_playwright

    browser_client = Client()
    browser_client.force_login(client_a)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        context = browser.new_context(locale="fr-FR", **PHONE)
        context.add_cookies([{"name": "sessionid", "value": browser_client.cookies["sessionid"].value,
                              "url": web_server}])
        page = context.new_page()
        page.set_default_timeout(8000)
        page.on("pageerror", lambda error: print(f"page error: {error}"))
        yield page
        browser.close()


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_phone_live_timeline_and_test_mode(phone, web_server, site_a, site_b, transactional_db):
    alarm = Alarm.objects.create(site=site_a, customer=site_a.customer, category="alarm", priority=2,
                                 title="Intrusion entrepôt")
    with transaction.atomic():
        feed_record(alarm=alarm, kind="created")
    page = phone
    page.goto(f"{web_server}/portal/")
    assert page.locator(".site-card").count() == 1 and site_b.name not in page.content()
    assert _no_sideways_scroll(page)

    page.goto(f"{web_server}/portal/alarms/{alarm.pk}/")
    page.wait_for_selector("#live-state[data-state=live]")
    assert page.locator("#timeline li").count() == 1

    def dispatch():
        with transaction.atomic():
            feed_record(alarm=alarm, kind="intervention", data={"state": "on_site", "provider": "Garde 33"})

    _in_thread(dispatch)
    page.wait_for_selector("#timeline li:has-text('agent sur place')")
    assert page.locator("#timeline li").count() == 2
    assert _no_sideways_scroll(page)

    page.goto(f"{web_server}/portal/sites/{site_a.pk}/")
    assert _no_sideways_scroll(page)
    page.fill("input[name=hours]", "4")
    page.click("#test button[type=submit]")
    page.wait_for_selector("text=Le site est en test jusqu'au")
    site_a.refresh_from_db()
    assert site_a.monitoring_state == Site.Monitoring.ON_TEST
