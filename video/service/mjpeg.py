"""The video service's small HTTP server (ARC_VIDEO_BIND:ARC_VIDEO_PORT):

- ``GET /mjpeg/<camera>?token=…``: the MJPEG fallback (multipart JPEG), for
  browsers without WebRTC or behind networks that block it; the token is
  minted by Django for that user and camera (django.core.signing, short-lived);
- ``GET /health``: the cameras this service reads, as JSON.

Plain asyncio streams: two routes do not earn a web framework.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse

import cv2

logger = logging.getLogger(__name__)

BOUNDARY = "arcframe"
MJPEG_FPS = 5.0


class HttpServer:
    def __init__(self, service):
        self.service = service
        self.server: asyncio.AbstractServer | None = None

    async def start(self, host: str, port: int) -> None:
        self.server = await asyncio.start_server(self._handle, host, port, reuse_address=True)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=10)
            while True:  # skip the headers
                line = await asyncio.wait_for(reader.readline(), timeout=10)
                if line in (b"\r\n", b"\n", b""):
                    break
            parts = request.decode("latin-1").split()
            if len(parts) < 2 or parts[0] != "GET":
                return await self._reply(writer, 405, {"error": "GET only"})
            url = urllib.parse.urlsplit(parts[1])
            if url.path == "/health":
                return await self._reply(writer, 200, self.service.health_snapshot())
            if url.path.startswith("/mjpeg/"):
                return await self._mjpeg(writer, url)
            await self._reply(writer, 404, {"error": "not found"})
        except (TimeoutError, ConnectionError):
            pass
        except Exception:
            logger.exception("video HTTP request failed")
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _reply(self, writer, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                     "Cache-Control: no-store\r\nConnection: close\r\n\r\n".encode() + data)
        await writer.drain()

    async def _mjpeg(self, writer, url) -> None:
        try:
            camera_id = int(url.path.rsplit("/", 1)[1])
        except ValueError:
            return await self._reply(writer, 404, {"error": "unknown camera"})
        token = urllib.parse.parse_qs(url.query).get("token", [""])[0]
        grant = await self.service.check_token(token, camera_id)
        if grant is None:
            return await self._reply(writer, 403, {"error": "invalid or expired token"})
        reader = self.service.readers.get(camera_id)
        if reader is None:
            return await self._reply(writer, 503, {"error": "camera offline"})
        writer.write(("HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nConnection: close\r\n"
                      f"Content-Type: multipart/x-mixed-replace; boundary={BOUNDARY}\r\n\r\n").encode())
        reader.mjpeg_viewers += 1
        loop = asyncio.get_running_loop()
        last = 0.0
        try:
            while not writer.is_closing():
                try:
                    await asyncio.wait_for(reader.frame_event.wait(), timeout=10)
                except TimeoutError:
                    continue
                latest = reader.latest_frame
                if latest is None or latest[0] - last < 1.0 / MJPEG_FPS:
                    continue
                last = latest[0]
                ok, jpeg = await loop.run_in_executor(None, cv2.imencode, ".jpg", latest[1])
                if not ok:
                    continue
                data = jpeg.tobytes()
                writer.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n"
                             .encode() + data + b"\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            reader.mjpeg_viewers = max(0, reader.mjpeg_viewers - 1)
            await self.service.end_view(grant.get("v"))
