"""A local stand-in for Mailgun's HTTP API (POST /v3/<domain>/messages), for driving
Anymail's real Mailgun backend in tests.

It records every request, and every recipient's final message after Mailgun's own
``%recipient.<key>%`` substitution from ``recipient-variables``, so a test can assert
what each reader would actually receive. ``plan`` scripts failures: a list of
responses (status, body, delay) used in order by the next requests.
"""

import json
import random
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class Delivered:
    to: str
    sender: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    variables: dict
    tags: list[str]
    options: dict[str, str]
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class Scripted:
    status: int = 200
    body: dict | None = None
    delay: float = 0.0  # seconds before answering ("accept, then hang" with a short client timeout)
    headers: dict[str, str] = field(default_factory=dict)
    deliver: bool = True  # False: answer (or hang) without sending anything


def _parse_form(content_type: str, body: bytes) -> list[tuple[str, str]]:
    if content_type.startswith("multipart/form-data"):
        msg = message_from_bytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body, policy=policy.HTTP
        )
        fields = []
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                continue  # attachments (inline images): not needed by tests
            fields.append((name, part.get_content() if part.get_content_maintype() == "text" else part.get_payload(decode=True).decode()))
        return fields
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True)


def _substitute(text: str, variables: dict) -> str:
    for key, value in variables.items():
        text = text.replace(f"%recipient.{key}%", str(value))
    return text


class MailgunStandIn:
    def __init__(self, *, keep: bool = True):
        # keep=False (benchmarks): count recipients, keep nothing, parse nothing.
        self.keep = keep
        self.recipients = 0
        self.requests: list[dict] = []
        self.delivered: list[Delivered] = []
        self.plan: list[Scripted] = []
        # chaos: the share of calls (after the plan) answered 500 or 429, at random.
        self.chaos = 0.0
        self._random = random.Random(8058)
        self.lock = threading.Lock()
        self._counter = 0
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                standin._handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v3"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, handler, body: bytes):
        if not self.keep:
            with self.lock:
                self.recipients += body.count(b'name="to"') or body.count(b"&to=") + body.startswith(b"to=")
                self._counter += 1
                number = self._counter
            data = json.dumps({"id": f"<standin.{number}@mailgun.test>", "message": "Queued. Thank you."}).encode()
            self._answer(handler, Scripted(), data)
            return
        with self.lock:
            if self.plan:
                scripted = self.plan.pop(0)
            elif self.chaos and self._random.random() < self.chaos:
                status = self._random.choice([500, 429])
                scripted = Scripted(status=status, headers={"Retry-After": "1"} if status == 429 else {})
            else:
                scripted = Scripted()
            self._counter += 1
            number = self._counter
        fields = _parse_form(handler.headers.get("Content-Type", ""), body)
        record = {"path": handler.path, "auth": handler.headers.get("Authorization"), "fields": fields,
                  "status": scripted.status}
        with self.lock:
            self.requests.append(record)
        if scripted.delay:
            time.sleep(scripted.delay)
        if scripted.status == 200 and scripted.deliver:
            self._deliver(fields)
            payload = scripted.body or {"id": f"<standin.{number}@mailgun.test>", "message": "Queued. Thank you."}
        else:
            payload = scripted.body or {"message": f"scripted failure {scripted.status}"}
        data = json.dumps(payload).encode()
        try:
            self._answer(handler, scripted, data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a read timeout): exactly what was scripted

    @staticmethod
    def _answer(handler, scripted, data):
        handler.send_response(scripted.status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in scripted.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _deliver(self, fields):
        single = {}
        multi: dict[str, list[str]] = {}
        for key, value in fields:
            multi.setdefault(key, []).append(value)
            single[key] = value
        variables = json.loads(single.get("recipient-variables", "{}"))
        headers = {k[2:]: v for k, v in single.items() if k.startswith("h:")}
        options = {k[2:]: v for k, v in single.items() if k.startswith("o:")}
        custom = {k[2:]: v for k, v in single.items() if k.startswith("v:")}
        for to in multi.get("to", []):
            address = to.rsplit("<", 1)[-1].rstrip(">").strip()
            own = variables.get(address, {})
            with self.lock:
                self.delivered.append(Delivered(
                    to=address,
                    sender=single.get("from", ""),
                    subject=_substitute(single.get("subject", ""), own),
                    text=_substitute(single.get("text", ""), own),
                    html=_substitute(single.get("html", ""), own),
                    headers={k: _substitute(v, own) for k, v in headers.items()},
                    variables=own,
                    tags=multi.get("o:tag", []),
                    options=options,
                    metadata={k: _substitute(v, own) for k, v in custom.items()},
                ))
