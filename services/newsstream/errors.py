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


class BusError(NewsstreamError):
    """Kafka could not be reached or refused a write."""

    code = "NS011"


class FeedError(NewsstreamError):
    """A feed document that cannot be used: not a feed at all, or XML beyond repair."""

    code = "NS022"

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class ExtractionError(NewsstreamError):
    """A page that yields no article (no HTML, no text block)."""

    code = "NS023"

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class PublishError(NewsstreamError):
    """Kafka did not acknowledge an article; the feed is retried and state is not advanced."""

    code = "NS024"


class HTTPStatusError(FetchError):
    """The server answered with an error status; ``retry_after`` in seconds when it said so."""

    code = "NS025"

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message, kind=f"http_{status}")
        self.status = status
        self.retry_after = retry_after
