"""The deployment files say what the code can do: every process of the topology exists,
has a health check that the healthcheck command understands, and restarts on failure."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml
from django.core.management import get_commands

from arc.run import read_procfile

BASE = Path(__file__).resolve().parents[2]
ARC_SERVICES = {"web1", "web2", "receiver1", "receiver2", "intake", "worker", "beat", "video"}


def compose() -> dict:
    return yaml.safe_load((BASE / "docker-compose.yml").read_text())


def test_procfile_cluster_runs_the_topology_with_real_commands():
    entries = dict(read_procfile(BASE / "Procfile.cluster"))
    assert {"web1", "web2", "receiver1", "receiver2", "intake1", "intake2", "worker1", "worker2", "beat",
            "video"} <= set(entries)
    commands = get_commands()
    ports = []
    for name, line in entries.items():
        argv = shlex.split(line)
        if argv[1] == "manage.py":
            assert argv[2] in commands, f"{name}: no manage.py {argv[2]}"
        if "--port" in argv:
            ports.append(argv[argv.index("--port") + 1])
    assert len(ports) == len(set(ports)), "two processes on one port"
    assert "--name rx1" in entries["receiver1"] and "--name rx2" in entries["receiver2"]
    assert entries["worker1"].split("-n ")[1] != entries["worker2"].split("-n ")[1]


def test_compose_services_have_health_checks_and_restart_policies():
    services = compose()["services"]
    assert {"postgres", "redis", "lb", "migrate"} | ARC_SERVICES <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in ARC_SERVICES | {"postgres", "redis", "lb"}:
        service = services[name]
        assert service.get("restart") == "unless-stopped", name
        assert "healthcheck" in service, name
    for name in ARC_SERVICES:
        test = services[name]["healthcheck"]["test"]
        assert test[:5] == ["CMD", "/app/deploy/entrypoint.sh", "python", "manage.py", "healthcheck"], name
        process = test[test.index("--process") + 1]
        assert process in {"web", "receiver", "intake", "worker", "beat", "video"}
    assert services["intake"]["deploy"]["replicas"] == 2 and services["worker"]["deploy"]["replicas"] == 2


def test_compose_secrets_come_from_files():
    data = compose()
    env = data["services"]["web1"]["environment"]
    assert env["ARC_SECRET_KEY_FILE"].startswith("/run/secrets/")
    assert env["ARC_FIELD_KEY_FILE"].startswith("/run/secrets/")
    assert ":" not in env["DATABASE_URL"].split("@")[0].removeprefix("postgres://"), "no password in the URL"
    assert set(data["secrets"]) == {"arc_secret_key", "arc_field_key", "pg_password", "redis_password"}


def test_load_balancer_balances_both_nodes_and_upgrades_websockets():
    conf = (BASE / "deploy" / "nginx.conf").read_text()
    assert "server web1:8000" in conf and "server web2:8000" in conf
    assert "proxy_set_header Upgrade $http_upgrade" in conf
    directives = [line.split("#")[0].strip() for line in conf.splitlines()]
    assert not [d for d in directives if d.startswith(("ip_hash", "sticky", "hash "))], "no sticky sessions"
