"""Shared pieces of the console's browser tests: one Chromium per module, and
logged-in pages (the session cookie is minted by Django's test client)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def in_thread(fn, *args, **kwargs):
    """Run a writer in its own thread: Playwright's sync API keeps an event loop in
    the test's thread, where the doorbell's async_to_sync cannot run."""
    import threading

    from django.db import connection

    result = {}

    def run():
        try:
            result["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the test's thread
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if "error" in result:
        raise result["error"]
    return result["value"]


@pytest.fixture
def console_page(chromium):
    """Factory of logged-in pages; their contexts close at the end of the test."""
    contexts = []

    def make(base_url: str, user, *, language: str = "fr"):
        page = logged_in_page(chromium, base_url, user, language=language)
        contexts.append(page.context)
        return page
    yield make
    for context in contexts:
        context.close()


def logged_in_page(browser, base_url: str, user, *, language: str = "fr"):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="fr-FR" if language == "fr" else "en-GB")
    cookies = [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    if language != "fr":
        cookies.append({"name": "django_language", "value": language, "url": base_url})
    context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(8000)
    # Browser errors end up in the test output (pytest shows them on failure).
    page.on("pageerror", lambda error: print(f"[{user.username}] page error: {error}"))
    page.on("console", lambda message: print(f"[{user.username}] console {message.type}: {message.text}")
            if message.type in ("error", "warning") else None)
    return page


def open_console(page, base_url: str):
    page.goto(f"{base_url}/console/")
    page.wait_for_function("window.arcConsole && window.arcConsole.feed.status === 'live'")
    return page


def wait_until(predicate, timeout: float = 5.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()
