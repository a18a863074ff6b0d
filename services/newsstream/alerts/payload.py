"""What a notification says, and its signature (pure: bytes in, bytes out).

A webhook receives the alert as JSON (``payload``) with ``X-Newsstream-Signature:
sha256=<hex>``, the HMAC-SHA256 of exactly the body bytes under the watch's secret; a receiver
recomputes it (``verify``) before trusting the body. ``alert_id`` is in the body and in
``X-Newsstream-Alert-Id``: delivery is at-least-once, so a receiver that must not act twice
remembers the ids it has seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from email.message import EmailMessage
from typing import Any

from newsstream.messages import Alert

SIGNATURE_HEADER = "X-Newsstream-Signature"
ALERT_ID_HEADER = "X-Newsstream-Alert-Id"
WATCH_HEADER = "X-Newsstream-Watch"


def payload_object(alert: Alert) -> dict[str, Any]:
    """The alert as receivers see it (the alerter's memory of the pair left out)."""
    return alert.model_dump(mode="json", exclude={"evidence"})


def payload(alert: Alert) -> bytes:
    return json.dumps(payload_object(alert), ensure_ascii=False, sort_keys=True).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True if ``header`` is the signature of ``body`` under ``secret`` (constant time)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


def headers(alert: Alert, secret: str, body: bytes, user_agent: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(secret, body),
        ALERT_ID_HEADER: alert.alert_id,
        WATCH_HEADER: alert.watch,
        "User-Agent": user_agent,
    }


def summary(alert: Alert) -> str:
    """One line: which watch, what matched, which article."""
    new = [q for q in alert.quotes if q.new] or alert.quotes
    if new:
        what = " | ".join(f"{q.speaker or '?'}: „{q.quote}“" for q in new)
    elif alert.entities:
        what = ", ".join(alert.entities)
    else:
        what = "article matched"
    outlet = f" ({alert.outlet})" if alert.outlet else ""
    return f"[{alert.watch}] {what} - {alert.title}{outlet} {alert.url}"


def console_line(alert: Alert) -> str:
    return f"ALERT {alert.matched_at.isoformat(timespec='seconds')} {summary(alert)}"


def email_message(alert: Alert, *, sender: str, to: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[newsstream] {alert.watch}: {alert.title}"[:200]
    message["From"] = sender
    message["To"] = to
    message["X-Newsstream-Alert-Id"] = alert.alert_id
    text = json.dumps(payload_object(alert), ensure_ascii=False, indent=2)
    message.set_content(f"{summary(alert)}\n\n{text}\n")
    return message
