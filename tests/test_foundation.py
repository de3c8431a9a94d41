"""The one-command centre: embedded servers, settings, login, access."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from arc import env
from arc.embedded import EmbeddedPostgres, EmbeddedRedis, free_port

BASE_DIR = Path(__file__).resolve().parent.parent


def test_embedded_servers_start_reuse_data_and_stop(tmp_path):
    pg = EmbeddedPostgres(tmp_path / "pg", free_port(), fsync=False)
    redis = EmbeddedRedis(tmp_path / "redis", free_port())
    pg.start()
    redis.start()
    pg._psql("create table kept (v text); insert into kept values ('still here')", database="arc")
    pids = [pg.process.pid, redis.process.pid]
    pg.stop()
    redis.stop()
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids)
    pg2 = EmbeddedPostgres(tmp_path / "pg", free_port(), fsync=False)
    pg2.start()
    try:
        assert pg2._psql("select v from kept", database="arc") == "still here"
    finally:
        pg2.stop()


def _children_of_var(var_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(var_dir) in cmdline:
            found.append(proc)
    return found


@pytest.mark.slow
def test_run_starts_everything_and_sigterm_leaves_nothing_behind(tmp_path):
    """`python -m arc.run` (what `make run` execs): the login page is served,
    then SIGTERM stops every process, the embedded servers included."""
    var_dir = tmp_path / "var"
    port = free_port()
    procfile = tmp_path / "Procfile"
    procfile.write_text("web: python manage.py run_web\n")
    env_vars = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ARC_TESTING"}}
    env_vars.update({"ARC_VAR_DIR": str(var_dir), "ARC_HTTP_PORT": str(port), "ARC_PG_PORT": str(free_port()),
                     "ARC_REDIS_PORT": str(free_port()), "ARC_DEBUG": "1"})
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "arc.run", "--procfile", str(procfile)], cwd=BASE_DIR,
                            env=env_vars, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        import urllib.request

        deadline = time.monotonic() + 180
        body = ""
        while time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2).read().decode()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
                time.sleep(0.5)
        assert "Connexion" in body, (tmp_path / "run.log").read_text()[-3000:]
        assert _children_of_var(var_dir), "embedded servers should be running under var/"
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        time.sleep(0.5)
        leftovers = [p for p in _children_of_var(var_dir) if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert leftovers == []
        output = (tmp_path / "run.log").read_text()
        assert "demo logins" in output and "[arc] stopped" in output
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_unknown_arc_variable_is_rejected(monkeypatch):
    monkeypatch.setenv("ARC_DC09_PROT", "10002")
    with pytest.raises(ImproperlyConfigured, match="ARC_DC09_PROT"):
        env.check_unknown()


def test_malformed_values_are_rejected(monkeypatch):
    monkeypatch.setenv("ARC_X_PORT", "ten")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env.integer("ARC_X_PORT", 1)
    monkeypatch.setenv("ARC_X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="true or false"):
        env.boolean("ARC_X_FLAG", False)
    with pytest.raises(ImproperlyConfigured, match="scheme"):
        env.database_url("mysql://x@y/z")


def test_secrets_are_read_from_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("ARC_SOME_SECRET_FILE", str(secret))
    assert env.string("ARC_SOME_SECRET", "") == "s3cret"


def test_login_page_speaks_french_by_default_and_english_on_request(client):
    assert "Se connecter" in client.get("/login/").content.decode()
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log in" in page and "Se connecter" not in page


def test_a_client_user_cannot_reach_the_admin(client, client_a):
    client.force_login(client_a)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(reverse("admin:sites_site_changelist")).status_code == 302


def test_admin_lists_the_demo_sites(db, client, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    from django.contrib.auth import get_user_model

    from sites.models import Customer, Site, Transmitter

    # 3 customers and 12 sites, besides the centre's own system site.
    assert Customer.objects.exclude(code="ARC-INTERNE").count() == 3
    assert Site.objects.exclude(customer__code="ARC-INTERNE").count() == 12
    assert Transmitter.objects.get(account="5678").key_bytes() == bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    assert Transmitter.objects.get(account="1234").encryption == "none"
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get(reverse("admin:sites_site_changelist")).content.decode()
    assert "Boulangerie Bastille" in page and "Pharmacie du Capitole" in page


def test_seed_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")


def test_admin_changes_are_logged_with_old_and_new_values(client, admin_user, site_a):
    from logbook.models import LogEntry
    from tests.builders import make_procedure

    make_procedure()
    client.force_login(admin_user)
    url = reverse("admin:sites_site_change", args=[site_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "customer": site_a.customer_id, "code": site_a.code, "name": "Nouveau nom", "address": site_a.address,
        "postal_code": site_a.postal_code, "city": site_a.city, "country": "FR", "region": "75",
        "timezone": "Europe/Paris", "monitoring_state": "in_service", "armed_state": "unknown",
        "open_tolerance_minutes": 15, "close_tolerance_minutes": 30, "closed_on_public_holidays": "on",
    }
    for prefix in ("zones", "transmitters", "contacts", "opening_hours", "schedule_exceptions"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = LogEntry.objects.get(action="config.change")
    assert entry.old_values == {"name": "Site A1"} and entry.new_values == {"name": "Nouveau nom"}
    assert entry.site_id == site_a.pk and entry.actor_id == admin_user.pk
