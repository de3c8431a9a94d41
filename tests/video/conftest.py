"""Fixtures of the video tests: a demo camera file, a live camera (FIFO),
the video service as a real subprocess, and a logged-in Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from arc.embedded import free_port
from tests.processes import BASE_DIR
from video.synthetic import write_demo_file

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-features=WebRtcHideLocalIpsWithMdns",
                 "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory) -> Path:
    return write_demo_file(tmp_path_factory.mktemp("cams") / "demo.ts", label="TEST CAM", seconds=8)


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings, monkeypatch) -> Path:
    """A private MEDIA_ROOT, for this process and for the processes it starts
    (the video service writes clips there, the web node serves them)."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("ARC_MEDIA_ROOT", str(root))
    return root


@pytest.fixture
def video_service(arc_process, media_root):
    """Start ``run_video`` against the test database; returns (process, base URL)."""

    def start():
        port = free_port()
        process = arc_process("run_video", port=port, env={"ARC_VIDEO_PORT": str(port),
                                                           "ARC_MEDIA_ROOT": str(media_root),
                                                           "ARC_VIDEO_ICE_LOOPBACK": "1"})
        return process, f"http://127.0.0.1:{port}"

    return start


def service_health(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
        return json.loads(response.read())


def wait_for(predicate, timeout: float, step: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def live_source(tmp_path):
    """A live camera: ``python -m video.synthetic`` writing MPEG-TS into a FIFO in
    real time, each frame stamped with the wall clock (ms) in its pixels."""
    processes = []

    def start(seconds: float = 60) -> str:
        fifo = tmp_path / f"live-{len(processes)}.ts"
        os.mkfifo(fifo)
        processes.append(subprocess.Popen([sys.executable, "-m", "video.synthetic", str(fifo), str(seconds)],
                                          cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return str(fifo)

    yield start
    for process in processes:
        process.kill()
        process.wait(5)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _serve_static(route) -> None:
    # daphne serves no static files (a reverse proxy does in production):
    # answer /static/ from the finders, as collectstatic would have copied them.
    import mimetypes
    from urllib.parse import urlsplit

    from django.contrib.staticfiles import finders

    path = finders.find(urlsplit(route.request.url).path.removeprefix("/static/"))
    if not path:
        route.fulfill(status=404, body="")
        return
    route.fulfill(status=200, path=path, content_type=mimetypes.guess_type(path)[0] or "application/octet-stream")


def logged_in_page(browser, base_url: str, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}])
    context.route("**/static/**", _serve_static)
    return context.new_page()
