"""`make run`: the whole centre in the foreground.

Starts the embedded PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are
set), migrates, loads the demo centre, then supervises every process of the
Procfile with honcho. Ctrl-C or SIGTERM stops the processes first and the
embedded servers last; nothing is left behind, and the next run reuses var/.

Usage: python -m arc.run [--procfile Procfile] [--no-demo]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _setting(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], check=True, env=env)


def read_procfile(path: Path) -> list[tuple[str, str]]:
    entries = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, command = line.partition(":")
        entries.append((name.strip(), command.strip()))
    return entries


def start_embedded(var_dir: Path, env: dict) -> list:
    """Start what DATABASE_URL / REDIS_URL do not point elsewhere; returns the servers."""
    from arc.embedded import EmbeddedPostgres, EmbeddedRedis

    servers = []
    if not env.get("DATABASE_URL"):
        pg = EmbeddedPostgres(var_dir / "pg", int(_setting("ARC_PG_PORT", "54329")))
        print(f"[arc] starting embedded PostgreSQL on 127.0.0.1:{pg.port} (data in {pg.datadir})", flush=True)
        pg.start()
        env["DATABASE_URL"] = pg.url
        servers.append(pg)
    if not env.get("REDIS_URL"):
        redis = EmbeddedRedis(var_dir / "redis", int(_setting("ARC_REDIS_PORT", "63799")))
        print(f"[arc] starting embedded Redis on 127.0.0.1:{redis.port}", flush=True)
        redis.start()
        env["REDIS_URL"] = redis.url
        servers.append(redis)
    return servers


def stop_embedded(servers: list) -> None:
    for server in reversed(servers):
        server.stop()


def banner(env: dict, names: list[str]) -> str:
    http = f"http://{env.get('ARC_HTTP_BIND', '127.0.0.1')}:{env.get('ARC_HTTP_PORT', '8000')}"
    dc09 = f"{env.get('ARC_DC09_BIND', '127.0.0.1')}:{env.get('ARC_DC09_PORT', '10001')}"
    password = env.get("ARC_DEMO_PASSWORD", "demo")
    lines = [
        "",
        "=" * 72,
        "ARC — centre de télésurveillance is starting",
        f"  web console        {http}/",
        f"  administration     {http}/admin/",
    ]
    if "receiver" in names:
        lines.append(f"  SIA DC-09 receiver tcp+udp {dc09}")
    lines += [
        f"  demo logins        operator, operator2, supervisor, admin, client (password: {password})",
        f"  processes          {', '.join(names)}",
        "  Ctrl-C stops everything.",
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--procfile", default=str(BASE_DIR / "Procfile"))
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo centre")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    var_dir = Path(env.get("ARC_VAR_DIR", BASE_DIR / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)

    from honcho.manager import Manager

    servers = start_embedded(var_dir, env)
    try:
        _manage("migrate", "--noinput", env=env)
        _manage("setup_roles", env=env)
        _manage("collectstatic", "--noinput", "-v", "0", env=env)
        if not args.no_demo:
            _manage("seed_demo", env=env)
        entries = read_procfile(Path(args.procfile))
        print(banner(env, [name for name, _ in entries]), flush=True)
        manager = Manager()
        python = shlex.quote(sys.executable)
        for name, command in entries:
            manager.add_process(name, command.replace("python ", f"{python} ", 1), env=env, cwd=str(BASE_DIR))
        manager.loop()
        return manager.returncode or 0
    except KeyboardInterrupt:
        return 130
    finally:
        stop_embedded(servers)
        print("[arc] stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
