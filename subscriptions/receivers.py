"""Anymail's tracking signal → Nashra: one receiver for every ESP.

Anymail turns each ESP's webhook payload into normalised events and sends one
``tracking`` signal per event (a batch payload becomes many signals, all inside one
request); ``esp_events.py`` says what each event does. This module owns only the error
policy an ESP sees:

- the database away for a moment (OperationalError, a dropped connection) escapes, so
  the webhook answers 500 and the ESP retries later — the event is not lost;
- anything else (a payload we cannot make sense of, a bug) is logged and swallowed, so
  the webhook answers 200: an ESP retrying the same bad payload for days helps nobody.
"""

import logging

from django.db import InterfaceError, OperationalError

from subscriptions.esp_events import esp_event_apply, incoming_from_anymail

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)


def esp_event_received(sender, event, esp_name, **kwargs) -> None:
    try:
        esp_event_apply(event=incoming_from_anymail(event, esp_name))
    except TRANSIENT:
        raise
    except Exception:
        log.exception(
            "ESP event not applied",
            extra={
                "esp": esp_name,
                "event_type": getattr(event, "event_type", None),
                "event_id": getattr(event, "event_id", None),
            },
        )
