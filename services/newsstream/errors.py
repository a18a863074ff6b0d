"""Every error newsstream raises on purpose, with a stable code and what to do about it.

A log line or a command's error message carries ``[NSxxx]`` so a user can look the failure up
in the README's troubleshooting table (a test checks that every code here is unique and
listed there) instead of reading a stack trace. ``fix`` says what to do, in one sentence.
"""

from __future__ import annotations


class NewsstreamError(Exception):
    """Root of every error newsstream raises on purpose."""

    code = "NS000"
    #: What the user can do about it (shown after the message; may be overridden per raise).
    fix = ""
    #: The command's exit code when this error ends it.
    exit_code = 1

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(f"[{self.code}] {message}")
        self.message = message
        if fix is not None:
            self.fix = fix

    def for_humans(self) -> str:
        """One line: code, what went wrong, what to do."""
        text = f"[{self.code}] {self.message}"
        return f"{text} - {self.fix}" if self.fix else text

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "fix": self.fix}


# --- configuration -------------------------------------------------------------------------


class ConfigError(NewsstreamError):
    """A setting is missing or contradicts another (fix the environment, then restart)."""

    code = "NS001"
    fix = "check the NEWSSTREAM_* variables (README, Settings)"


# --- the local stack and the services it runs ----------------------------------------------------


class StackError(NewsstreamError):
    """The local Kafka/Elasticsearch stack could not be installed, started or reached."""

    code = "NS010"
    fix = "see the log named in the message; `newsstream stack status` shows what runs"


class BusError(NewsstreamError):
    """Kafka refused or lost a write that had to succeed."""

    code = "NS011"
    fix = "check the broker (`newsstream stack status`); the work is retried on restart"


class KafkaUnavailableError(NewsstreamError):
    """No Kafka broker answers at the configured bootstrap address."""

    code = "NS012"


class ConsumerStalledError(NewsstreamError):
    """A consumer made no progress (stalled, never assigned, or spinning): it exits to be
    restarted (``newsstream run`` does that with back-off); nothing uncommitted is lost."""

    code = "NS015"
    fix = "restarted automatically under `newsstream run`; the log line before says why"
    exit_code = 75  # EX_TEMPFAIL: try again (newsstream.watchdog.STALL_EXIT_CODE)


class ElasticsearchUnavailableError(NewsstreamError):
    """Elasticsearch does not answer at the configured URL (or not in time)."""

    code = "NS013"


class ElasticsearchAuthError(NewsstreamError):
    """Elasticsearch refused our credentials (401) or the role lacks a privilege (403)."""

    code = "NS014"
    fix = (
        "check NEWSSTREAM_ES_USERNAME / NEWSSTREAM_ES_PASSWORD or NEWSSTREAM_ES_API_KEY; "
        "`newsstream setup` creates the newsstream role and user"
    )


class JvmError(NewsstreamError):
    """Java or Maven is missing, or a Maven fetch or a Java program failed (``newsstream.jvm``,
    used by the local stack and by the German dictionary of the entity model)."""

    code = "NS016"
    fix = "install a JDK 17+ and Maven, or set NEWSSTREAM_JAVA_HOME; the message has the output"


# --- fetching ------------------------------------------------------------------------------------


class FetchError(NewsstreamError):
    """A feed or page could not be fetched (HTTP status, timeout, size cap, redirect)."""

    code = "NS020"

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        #: Short machine-readable reason used as a metrics label: ``timeout``, ``http_404``, ...
        self.kind = kind


class HTTPStatusError(FetchError):
    """The server answered with an error status; ``retry_after`` in seconds when it said so."""

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message, kind=f"http_{status}")
        self.status = status
        self.retry_after = retry_after


class BlockedURLError(FetchError):
    """A URL outside the allowed hosts, or to a private address (SSRF guard)."""

    code = "NS021"
    fix = "widen NEWSSTREAM_ALLOWED_HOSTS (or NEWSSTREAM_ALLOWED_PRIVATE_NETWORKS) if intended"


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


class NoFeedsError(NewsstreamError):
    """There is no feed to poll, or every feed failed."""

    code = "NS025"
    fix = "set NEWSSTREAM_FEEDS to feed URLs (comma-separated) or leave it unset for BR24"


# --- models --------------------------------------------------------------------------------------


class ModelNotFoundError(NewsstreamError):
    """No spaCy model could be resolved (see ``newsstream model ensure`` and the README)."""

    code = "NS030"


class TrainingDataError(NewsstreamError):
    """Training the German entity model lacks a resource: NER data or a training package."""

    code = "NS031"
    fix = (
        "`make install` (installs the [train] extra); NER data in ../shared/data/ner "
        "or NEWSSTREAM_NER_DATA_DIR"
    )


# --- messages ------------------------------------------------------------------------------------


class PoisonMessageError(NewsstreamError):
    """A Kafka message that can never be processed; it goes to the dead-letter topic."""

    code = "NS040"


# --- commands ------------------------------------------------------------------------------------


class AnalyzeError(NewsstreamError):
    """The source given to ``analyze`` cannot be read (missing file, not text)."""

    code = "NS050"


class SearchError(NewsstreamError):
    """A search Elasticsearch cannot answer: no index yet, or a query it refuses."""

    code = "NS052"


class RunFailedError(NewsstreamError):
    """A role of ``newsstream run`` failed: could not start, or ended badly (``--until-idle``)."""

    code = "NS060"
    fix = "read the role's log named above; fix the cause and run again"


class KibanaError(NewsstreamError):
    """Kibana did not become available, or refused the saved objects."""

    code = "NS051"
    fix = "check NEWSSTREAM_KIBANA_URL and that Kibana is up; re-run `newsstream setup`"


# --- outlets (feeds file, OPML, robots.txt) --------------------------------------------------


class FeedsFileError(NewsstreamError):
    """The feeds file cannot be used: bad YAML, an unknown key, a duplicate URL, a bad value.

    ``problems`` holds every problem found ("line 12: unknown key 'intervall'"), so one run
    of ``newsstream feeds validate`` shows them all.
    """

    code = "NS080"
    fix = "fix the lines named (`newsstream feeds validate` checks the file; docs/outlets.md)"
    exit_code = 2

    def __init__(
        self, message: str, *, problems: list[str] | None = None, fix: str | None = None
    ) -> None:
        super().__init__(message, fix=fix)
        self.problems = problems or [message]


class OpmlError(NewsstreamError):
    """An OPML file that cannot be imported: not XML, XML beyond repair, or no feed in it."""

    code = "NS081"
    fix = "export the OPML again from the reader it came from; nothing was imported"
    exit_code = 2


class RobotsDisallowedError(FetchError):
    """The site's robots.txt disallows the article page (or could not be read: RFC 9309
    says a server error means "disallow"); the feed's own text is published instead."""

    code = "NS082"
    fix = "nothing to do: the feed text is published; the count is in the poller's metrics"


# --- watches and alerts --------------------------------------------------------------------------


class WatchInvalidError(NewsstreamError):
    """A watch definition that cannot work: bad name, no criterion, unknown notify target."""

    code = "NS070"
    fix = "see `newsstream watch add --help`"
    exit_code = 2


class WatchQueryError(NewsstreamError):
    """Elasticsearch rejected a watch's query (``_validate/query``); the message says why."""

    code = "NS071"
    fix = 'fix the --query (query-string syntax: AND/OR/NOT, "phrases", field:value)'
    exit_code = 2


class WatchNotFoundError(NewsstreamError):
    """No watch of that name (``watch remove`` / ``watch test``)."""

    code = "NS072"
    fix = "`newsstream watch list` shows the watches there are"


class WatchExistsError(NewsstreamError):
    """``watch add`` with a name already taken."""

    code = "NS073"
    fix = "remove it first (`newsstream watch remove NAME`) or choose another name"
    exit_code = 2


class DeliveryError(NewsstreamError):
    """An alert could not be delivered to a target after ``NEWSSTREAM_ALERT_MAX_TRIES`` tries;
    it is in the dead-letter topic with the target and the last error."""

    code = "NS074"
    fix = "check the receiver (URL, SMTP settings); the alert is in the dead-letter topic"


class BlockedWebhookError(NewsstreamError):
    """A webhook URL that is not http(s), or that reaches a refused address (link-local,
    multicast; private and loopback too with ``NEWSSTREAM_ALERT_DENY_PRIVATE``)."""

    code = "NS075"
    fix = "use an http(s) URL of a reachable receiver (docs/alerts.md: which addresses are refused)"
    exit_code = 2
