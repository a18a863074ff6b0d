"""Sending one alert to one target: a signed webhook POST, a console line, or an e-mail.

Each delivery retries with exponential back-off and jitter (tenacity) up to
``NEWSSTREAM_ALERT_MAX_TRIES`` attempts, the waits capped at ``NEWSSTREAM_ALERT_RETRY_MAX_S``;
then it reports failure and the notifier puts the alert in the dead-letter topic. A webhook
URL that the address rules refuse fails at once (waiting cannot change it). Redirects are
not followed: a redirect could lead past the address rules.

Webhook host names are resolved and every address checked before each request (link-local
always refused, private and loopback only with ``NEWSSTREAM_ALERT_DENY_PRIVATE``); the
connection then resolves again, so a name whose DNS answer changes in between (rebinding)
is not fully covered - see docs/alerts.md.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity import wait_exponential_jitter as jittered

from newsstream.alerts import metrics
from newsstream.alerts.loop import Interrupted
from newsstream.alerts.payload import Outcome, console_line, email_message, headers, payload
from newsstream.alerts.watches import check_address, check_webhook_url
from newsstream.errors import BlockedWebhookError
from newsstream.messages import Alert
from newsstream.settings import Settings

log = logging.getLogger(__name__)


class _Refused(Exception):
    """The receiver answered, but not with 2xx."""


def _worth_retrying(exc: BaseException) -> bool:
    """Anything but a refused address (waiting cannot change it) or a shutdown."""
    return not isinstance(exc, BlockedWebhookError | Interrupted)


class Notifiers:
    """Delivers to every kind of target; safe to call from several threads."""

    def __init__(self, settings: Settings, stop: threading.Event) -> None:
        self.settings = settings
        self.stop = stop
        self.client = httpx.Client(timeout=settings.alert_timeout_s, follow_redirects=False)
        self._print = threading.Lock()

    def deliver(self, target: str, alert: Alert, secret: str) -> Outcome:
        """Try until delivered or out of tries; ``Interrupted`` on shutdown."""
        kind, _, value = target.partition(":")
        tries = 0

        def attempt() -> None:
            nonlocal tries
            tries += 1
            if kind == "webhook":
                self.webhook(value, alert, secret)
            elif kind == "email":
                self.email(value, alert)
            elif kind == "console":
                self.console(alert)
            else:
                raise BlockedWebhookError(f"unknown target kind {kind!r}")

        def note(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            metrics.RETRIES.labels(reason=kind).inc()
            log.warning(
                "delivery failed, retrying",
                extra={"target": target, "alert_id": alert.alert_id, "attempt": tries,
                       "error": f"{type(error).__name__}: {error}"[:300]},
            )  # fmt: skip

        runner: Retrying = Retrying(
            stop=stop_after_attempt(max(1, self.settings.alert_max_tries)),
            wait=jittered(multiplier=0.5, max=self.settings.alert_retry_max_s, jitter=0.5),
            retry=retry_if_exception(_worth_retrying),
            sleep=self._sleep,
            before_sleep=note,
            reraise=True,
        )
        try:
            runner(attempt)
        except Interrupted:
            raise
        except Exception as exc:
            metrics.DELIVERIES.labels(kind=kind, outcome="failed").inc()
            return Outcome(target, False, tries, f"{type(exc).__name__}: {exc}"[:500])
        metrics.DELIVERIES.labels(kind=kind, outcome="delivered").inc()
        return Outcome(target, True, tries)

    def _sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Interrupted

    def webhook(self, url: str, alert: Alert, secret: str) -> None:
        deny = self.settings.alert_deny_private
        host, port = check_webhook_url(url, deny_private=deny)
        for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            check_address(str(info[4][0]), deny_private=deny)
        body = payload(alert)
        response = self.client.post(
            url, content=body, headers=headers(alert, secret, body, self.settings.user_agent)
        )
        if not 200 <= response.status_code < 300:
            raise _Refused(f"HTTP {response.status_code} from {host}")

    def email(self, address: str, alert: Alert) -> None:
        s = self.settings
        message = email_message(alert, sender=s.smtp_from, to=address)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.alert_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username and s.smtp_password is not None:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message)

    def console(self, alert: Alert) -> None:
        with self._print:
            print(console_line(alert), flush=True)

    def close(self) -> None:
        self.client.close()
