"""Video benchmark: the real video service and web node, a real Chromium.

1. Time to first frame: an operator opens the video page of a site; from the
   navigation to the first decoded WebRTC frame (median of several tries).
2. Glass-to-glass latency: a live camera (``video.synthetic``, MPEG-TS into a
   FIFO, libx264 zerolatency) stamps each frame with the wall-clock time in
   its pixels as it renders it; the page reads the stamp back from every
   decoded frame (requestVideoFrameCallback + canvas) and subtracts it from
   the time of display. Same machine, same clock.
3. CPU per extra viewer of an H.264 camera (passthrough): CPU of the video
   service process with 1 viewer, then with 1 + N viewers.
4. Eight cameras, 640x480 at 10 fps, pre-alarm buffers and motion detection
   on: CPU and memory of the video service on this machine, fps per camera.

Runs its own PostgreSQL and Redis (arc.embedded) in a temporary directory.

    .venv/bin/python bench/video.py [--viewers 5] [--seconds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench.common import percentile  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-features=WebRtcHideLocalIpsWithMdns",
                 "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]

READ_CLOCK_JS = """
(video) => new Promise((resolve) => {
  const samples = [];
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const BLOCK = 12, STEP = 14, X0 = 8, BITS = 44;
  const onFrame = (now, meta) => {
    const shown = performance.timeOrigin + meta.expectedDisplayTime;
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    ctx.drawImage(video, 0, 0);
    const y = canvas.height - BLOCK - 6 + BLOCK / 2;
    let value = 0;
    for (let i = 0; i < BITS; i++) {
      const x = X0 + i * STEP + BLOCK / 2;
      const d = ctx.getImageData(x - 2, y - 2, 5, 5).data;
      let sum = 0; for (let k = 0; k < d.length; k += 4) sum += (d[k] + d[k + 1] + d[k + 2]) / 3;
      value = value * 2 + (sum / 25 > 128 ? 1 : 0);
    }
    samples.push(shown - value);
    if (samples.length < 60) video.requestVideoFrameCallback(onFrame); else resolve(samples);
  };
  video.requestVideoFrameCallback(onFrame);
})
"""




def cpu_percent(process, seconds: float) -> float:
    process.cpu_percent(None)
    time.sleep(seconds)
    return process.cpu_percent(None)  # % of one core


def health(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
        return json.loads(response.read())


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(0.3)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> int:  # noqa: C901 - a linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=5, help="extra viewers for the CPU figure")
    parser.add_argument("--seconds", type=float, default=15, help="measuring window for CPU figures")
    parser.add_argument("--tries", type=int, default=5, help="time-to-first-frame tries")
    args = parser.parse_args()

    import psutil

    from arc.embedded import EmbeddedPostgres, EmbeddedRedis, free_port

    tmp = Path(tempfile.mkdtemp(prefix="arc-bench-video-"))
    pg = EmbeddedPostgres(tmp / "pg", free_port(), fsync=False)
    redis = EmbeddedRedis(tmp / "redis", free_port(), persist=False)
    processes: list[subprocess.Popen] = []
    try:
        pg.start()
        redis.start()
        video_port, web_port = free_port(), free_port()
        os.environ.update({"DATABASE_URL": pg.url, "REDIS_URL": redis.url, "ARC_VAR_DIR": str(tmp / "var"),
                           "ARC_MEDIA_ROOT": str(tmp / "media"), "DJANGO_SETTINGS_MODULE": "arc.settings",
                           "ARC_LOG_LEVEL": "WARNING", "ARC_VIDEO_PORT": str(video_port),
                           "ARC_VIDEO_ICE_LOOPBACK": "1"})
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", verbosity=0)
        from sites.models import Customer, Site
        from sites.roles import OPERATOR
        from tests.builders import make_user
        from video.models import Camera
        from video.synthetic import encoder_name, write_demo_file

        customer = Customer.objects.create(code="BENCH", name="Bench")

        def site(code):
            return Site.objects.create(customer=customer, code=code, name=code, address="1 rue", postal_code="75001",
                                       city="Paris")

        live_site, h264_site, load_site = site("LIVE"), site("H264"), site("LOAD")
        fifo = tmp / "live.ts"
        os.mkfifo(fifo)
        t0 = time.time()
        demo = write_demo_file(tmp / "media" / "demo.ts", label="BENCH", seconds=20)
        print(f"demo file: 20 s 640x480 10 fps {encoder_name()} in {time.time() - t0:.1f} s", flush=True)
        live = Camera.objects.create(site=live_site, name="live", source_kind="file", url=str(fifo))
        h264 = Camera.objects.create(site=h264_site, name="h264", source_kind="file", url=str(demo))
        user = make_user("bench-operator", OPERATOR)
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value

        logs = tmp / "logs"
        logs.mkdir()

        def spawn(name, argv):
            out = open(logs / f"{name}.log", "ab")
            process = subprocess.Popen(argv, env=dict(os.environ), cwd=BASE_DIR, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            processes.append(process)
            return process

        spawn("source", [sys.executable, "-m", "video.synthetic", str(fifo), "3600", "LIVE"])
        video = spawn("video", [sys.executable, "manage.py", "run_video"])
        spawn("web", [sys.executable, "manage.py", "run_web", "--port", str(web_port)])
        base = f"http://127.0.0.1:{video_port}"
        web = f"http://127.0.0.1:{web_port}"
        wait(lambda: health(base)["cameras"][str(live.pk)]["online"] and health(base)["cameras"][str(h264.pk)]["online"],
             60, "cameras online")
        wait(lambda: urllib.request.urlopen(f"{web}/login/", timeout=2).status == 200, 30, "web")
        service = psutil.Process(video.pid)

        from django.contrib.staticfiles import finders
        from playwright.sync_api import sync_playwright

        def serve_static(route):
            path = finders.find(route.request.url.split("/static/", 1)[1].split("?")[0])
            if path:
                route.fulfill(path=path)
            else:
                route.fulfill(status=404, body="")

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=CHROMIUM_ARGS)

            def new_page():
                context = browser.new_context()
                context.add_cookies([{"name": "sessionid", "value": session, "url": web}])
                context.route("**/static/**", serve_static)
                return context.new_page()

            first_frame = """() => { const v = document.querySelector('.video-tile video');
                                     return v && v.getVideoPlaybackQuality().totalVideoFrames > 0; }"""
            # 1. time to first frame
            ttff = []
            for _ in range(args.tries):
                page = new_page()
                start = time.time()
                page.goto(f"{web}/video/?site={live_site.pk}")
                page.wait_for_function(first_frame, timeout=15000, polling=10)
                ttff.append(time.time() - start)
                if _ < args.tries - 1:
                    page.context.close()
            print(f"time to first frame (page navigation -> first decoded frame, {args.tries} tries): "
                  f"median {statistics.median(ttff):.2f} s, max {max(ttff):.2f} s (target <= 2 s)", flush=True)

            # 2. glass-to-glass latency on the live camera
            page.wait_for_timeout(3000)
            samples = page.evaluate(READ_CLOCK_JS, page.query_selector(".video-tile video"))
            samples = [s for s in samples if 0 < s < 10000]
            print(f"glass-to-glass latency ({len(samples)} frames): median {statistics.median(samples):.0f} ms, "
                  f"p95 {percentile(samples, 95):.0f} ms (target <= 1000 ms)", flush=True)
            page.context.close()

            # 3. CPU per extra viewer of the H.264 camera
            idle = cpu_percent(service, args.seconds)
            pages = [new_page()]
            pages[0].goto(f"{web}/video/?site={h264_site.pk}")
            pages[0].wait_for_function(first_frame, timeout=15000)
            one = cpu_percent(service, args.seconds)
            for _ in range(args.viewers):
                extra = new_page()
                extra.goto(f"{web}/video/?site={h264_site.pk}")
                extra.wait_for_function(first_frame, timeout=15000)
                pages.append(extra)
            viewers = health(base)["cameras"][str(h264.pk)]["viewers"]
            many = cpu_percent(service, args.seconds)
            per_viewer = (many - one) / args.viewers
            print(f"video service CPU (2 cameras read): no viewer {idle:.1f} %, 1 viewer {one:.1f} %, "
                  f"{viewers} viewers {many:.1f} % -> {per_viewer:.2f} % of a core per extra viewer "
                  f"(H.264 passthrough: {health(base)['cameras'][str(h264.pk)]['passthrough']}; target <= 5 %)",
                  flush=True)
            for p in pages:
                p.context.close()
            browser.close()

        # 4. eight cameras 640x480 10 fps, buffers and motion detection on
        Camera.objects.filter(pk__in=[live.pk, h264.pk]).update(enabled=False)
        cams = [Camera.objects.create(site=load_site, name=f"load{i}", source_kind="file", url=str(demo),
                                      motion_enabled=True, motion_cooldown_seconds=3600) for i in range(8)]
        wait(lambda: all(health(base)["cameras"].get(str(c.pk), {}).get("online") for c in cams)
             and len(health(base)["cameras"]) == 8, 60, "8 cameras online")
        time.sleep(8)  # motion detectors learn their background
        load = cpu_percent(service, args.seconds)
        state = health(base)["cameras"]
        fps = [state[str(c.pk)]["fps"] for c in cams]
        rss = service.memory_info().rss / 2**20
        print(f"8 cameras 640x480 10 fps, buffers + motion: video service {load:.0f} % of a core "
              f"({load / psutil.cpu_count():.0f} % of the {psutil.cpu_count()}-core machine), RSS {rss:.0f} MiB, "
              f"fps per camera min {min(fps):.1f} max {max(fps):.1f}", flush=True)
        return 0
    finally:
        for process in reversed(processes):
            try:
                os.killpg(process.pid, 15)
                process.wait(10)
            except Exception:
                pass
        redis.stop()
        pg.stop()


if __name__ == "__main__":
    raise SystemExit(main())
