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
from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class Outcome:
    """How delivering one alert to one target ended."""

    target: str
    ok: bool
    tries: int
    error: str = ""


def alert_status(outcomes: list[Outcome] | None) -> str:
    if outcomes is None:
        return "watch_removed"
    if not outcomes:
        return "indexed"  # a watch without targets: Kibana is where its alerts are read
    ok = sum(o.ok for o in outcomes)
    return "delivered" if ok == len(outcomes) else "failed" if ok == 0 else "partial"


def alert_document(
    alert: Alert, outcomes: list[Outcome] | None, delivered_at: datetime
) -> dict[str, Any]:
    """The ``news-alerts`` document of a handled alert (id = ``alert_id``)."""
    done = outcomes or []
    return {
        "alert_id": alert.alert_id,
        "watch_id": alert.watch_id,
        "watch": alert.watch,
        "article_id": alert.article_id,
        "revision": alert.revision,
        "url": alert.url,
        "title": alert.title,
        "outlet": alert.outlet,
        "published_at": alert.published_at.isoformat() if alert.published_at else None,
        "indexed_at": alert.indexed_at.isoformat() if alert.indexed_at else None,
        "matched_at": alert.matched_at.isoformat(),
        "delivered_at": delivered_at.isoformat(),
        "speakers": sorted({q.speaker for q in alert.quotes if q.speaker}),
        "quotes": [q.quote for q in alert.quotes if q.new],
        "entities": alert.entities,
        "status": alert_status(outcomes),
        "delivered_to": [o.target for o in done if o.ok],
        "failed_to": [o.target for o in done if not o.ok],
        "tries": sum(o.tries for o in done),
        "error": "; ".join(f"{o.target}: {o.error}" for o in done if not o.ok)[:2000] or None,
    }


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
