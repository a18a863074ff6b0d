"""Webhook bodies, their HMAC signature and the news-alerts document (pure)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from newsstream.alerts.payload import (
    Outcome,
    alert_document,
    alert_status,
    headers,
    payload,
    sign,
    verify,
)
from newsstream.messages import Alert, AlertQuote

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ALERT = Alert(alert_id="id1", watch_id="w1", watch="mangott", article_id="a1", revision=1,
              url="https://x/a1", title="Titel", matched_at=NOW, evidence=["f1"],
              quotes=[AlertQuote(quote="Nein", speaker="Gerhard Mangott", new=True)])  # fmt: skip


def test_payload_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = payload(ALERT)
    expected = hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert sign("key", body) == f"sha256={expected}"
    assert verify("key", body, sign("key", body))
    assert not verify("key", body + b" ", sign("key", body))
    assert not verify("other", body, sign("key", body)) and not verify("key", body, None)
    sent = headers(ALERT, "key", body, "ua")
    assert sent["X-Newsstream-Signature"] == sign("key", body)
    assert sent["X-Newsstream-Alert-Id"] == "id1"


def test_payload_leaves_the_memory_out() -> None:
    data = json.loads(payload(ALERT))
    assert "evidence" not in data and data["quotes"][0]["quote"] == "Nein"


def test_payload_status_and_document() -> None:
    ok, bad = Outcome("console", True, 1), Outcome("webhook:http://h/x", False, 8, "HTTP 500")
    assert alert_status(None) == "watch_removed" and alert_status([]) == "indexed"
    assert alert_status([ok]) == "delivered" and alert_status([bad]) == "failed"
    assert alert_status([ok, bad]) == "partial"
    doc = alert_document(ALERT, [ok, bad], NOW)
    assert doc["delivered_to"] == ["console"] and doc["failed_to"] == ["webhook:http://h/x"]
    assert doc["tries"] == 9 and "HTTP 500" in doc["error"]
    assert doc["speakers"] == ["Gerhard Mangott"] and doc["quotes"] == ["Nein"]
