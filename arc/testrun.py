"""`make test`: run pytest against a private, real PostgreSQL and Redis.

Each run gets its own servers on free loopback ports with data in a temporary
directory, so several runs (and developers) never share a test database.
Arguments after the script name go to pytest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    from arc.embedded import EmbeddedPostgres, EmbeddedRedis, free_port

    env = dict(os.environ)
    tmp = Path(tempfile.mkdtemp(prefix="arc-test-"))
    servers = []
    try:
        if not env.get("DATABASE_URL"):
            # fsync off: a test server is thrown away; crash-safety is not under test here.
            pg = EmbeddedPostgres(tmp / "pg", free_port(), fsync=False)
            pg.start()
            servers.append(pg)
            env["DATABASE_URL"] = pg.url
        if not env.get("REDIS_URL"):
            redis = EmbeddedRedis(tmp / "redis", free_port(), persist=False)
            redis.start()
            servers.append(redis)
            env["REDIS_URL"] = redis.url
        env.update({
            "ARC_TESTING": "1",
            "ARC_VAR_DIR": str(tmp / "var"),
            "DJANGO_ALLOW_ASYNC_UNSAFE": "true",  # Playwright's sync API inside tests
            "PYTHONPATH": str(BASE_DIR),
        })
        env.setdefault("ARC_DEBUG", "1")
        command = [sys.executable, "-m", "pytest", *argv]
        result = subprocess.run(command, env=env, cwd=BASE_DIR)
        # pytest's 5 means "no tests collected": for us that is a failure too.
        return result.returncode
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
