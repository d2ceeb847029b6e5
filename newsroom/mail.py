"""The default email backend: each message becomes an ``.eml`` file in an outbox folder.

Django's file backend appends messages to ``.log`` files; an ``.eml`` per message opens
in any mail client, which is what a demo and an editor checking a layout want.
"""

import threading
import uuid
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    _lock = threading.Lock()

    def __init__(self, outbox_dir=None, **kwargs):
        super().__init__(**kwargs)
        self.outbox = Path(outbox_dir or settings.EMAIL_OUTBOX_DIR)

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        self.outbox.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            path = self.outbox / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            path.write_bytes(message.message().as_bytes())
            sent += 1
        return sent
