"""A local SMTP server (aiosmtpd) that keeps what it receives, for the SMTP send path."""

import socket
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            self.sink.count += len(envelope.rcpt_tos)
            if self.sink.keep:
                self.sink.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    def __init__(self, *, keep: bool = True):
        self.keep = keep
        self.count = 0
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()
        self._port = _free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self._port)

    def start(self):
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return self._port

    def stop(self):
        self.controller.stop()

    def parsed(self):
        return [(to, message_from_bytes(data, policy=policy.default)) for to, data in self.messages]
