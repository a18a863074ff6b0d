"""One root exception with stable, documented codes.

A log line carries ``code`` so a user can look the failure up here (and in the README's
troubleshooting table) instead of reading a stack trace.
"""

from __future__ import annotations


class NewsstreamError(Exception):
    """Root of every error newsstream raises on purpose."""

    code = "NS000"

    def __init__(self, message: str) -> None:
        super().__init__(f"[{self.code}] {message}")
        self.message = message


class ConfigError(NewsstreamError):
    """A setting is missing or contradicts another (fix the environment, then restart)."""

    code = "NS001"


class StackError(NewsstreamError):
    """The local Kafka/Elasticsearch stack could not be installed, started or reached."""

    code = "NS010"


class FetchError(NewsstreamError):
    """A feed or page could not be fetched (HTTP status, timeout, size cap, redirect)."""

    code = "NS020"

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        #: Short machine-readable reason used as a metrics label: ``timeout``, ``http_404``, ...
        self.kind = kind


class BlockedURLError(FetchError):
    """A URL outside the allowed hosts, or to a private address (SSRF guard)."""

    code = "NS021"


class ModelNotFoundError(NewsstreamError):
    """No spaCy model could be resolved (see ``newsstream model train`` and the README)."""

    code = "NS030"


class PoisonMessageError(NewsstreamError):
    """A Kafka message that can never be processed; it goes to the dead-letter topic."""

    code = "NS040"


class JvmError(NewsstreamError):
    """Java or Maven is missing, or a Maven fetch or a Java program failed (``newsstream.jvm``)."""

    code = "NS012"


class TrainingDataError(NewsstreamError):
    """Training the German entity model lacks a resource: the NER data or a training package."""

    code = "NS031"


class KibanaError(NewsstreamError):
    """Kibana did not become available, or refused the saved objects."""

    code = "NS050"


class AnalyzeError(NewsstreamError):
    """The source given to ``analyze`` cannot be read (missing file, not text)."""

    code = "NS051"
