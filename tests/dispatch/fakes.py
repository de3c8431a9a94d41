"""Stand-ins at the HTTP boundary: a local HTTP server playing Twilio's REST
API or a customer's webhook endpoint, on a real socket on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from arc.embedded import free_port


class FakeHttp:
    """Answers each POST with the next scripted (status, json) and records requests.
    ``on_request(record)`` runs inside the request (e.g. to look at the database then)."""

    def __init__(self, responses=None, on_request=None):
        self.responses = list(responses or [(201, {"sid": "SM0001"})])
        self.requests: list[dict] = []
        self.on_request = on_request
        self.port = free_port()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                record = {"path": self.path, "headers": self.headers, "raw": raw,
                          "form": {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()}}
                fake.requests.append(record)
                if fake.on_request:
                    fake.on_request(record)
                status, body = fake.responses.pop(0) if len(fake.responses) > 1 else fake.responses[0]
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
