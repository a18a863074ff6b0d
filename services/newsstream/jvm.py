"""Java and Maven for whoever needs them: the local stack and the German dictionary.

Both the Kafka/Elasticsearch stack (:mod:`newsstream.stack.artifacts`) and the NER model's word
classes (:mod:`newsstream.nlp.wordclasses`) fetch jars from Maven Central with ``mvn`` and run
``java``. This module owns that, so the NLP code does not depend on the stack (and its
:class:`~newsstream.errors.StackError`); failures raise :class:`~newsstream.errors.JvmError`.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from newsstream.errors import JvmError
from newsstream.settings import Settings

log = logging.getLogger(__name__)


def java_bin(settings: Settings, tool: str = "java") -> str:
    """``java``/``javac`` from ``NEWSSTREAM_JAVA_HOME`` if set, else from PATH (Java >= 17)."""
    if settings.java_home is not None:
        candidate = settings.java_home / "bin" / tool
        if candidate.exists():
            return str(candidate)
        raise JvmError(f"{candidate} does not exist (NEWSSTREAM_JAVA_HOME)")
    found = shutil.which(tool)
    if not found:
        raise JvmError(f"`{tool}` not found: install a JDK 17+ or set NEWSSTREAM_JAVA_HOME")
    return found


def java_home(settings: Settings) -> Path:
    """The JDK directory of :func:`java_bin` (what ``ES_JAVA_HOME`` wants)."""
    return Path(java_bin(settings)).resolve().parent.parent


def maven_copy(
    pom: Traversable, out: Path, repo: Path, properties: dict[str, str], *flags: str
) -> None:
    """Copy the dependencies ``pom`` names into ``out`` (Maven's local repository: ``repo``)."""
    mvn = shutil.which("mvn")
    if not mvn:
        raise JvmError("Maven (`mvn`) is needed once to fetch jars from Maven Central")
    out.mkdir(parents=True, exist_ok=True)
    with resources.as_file(pom) as pom_path:
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom_path),
            f"-Dmaven.repo.local={repo}",
            *(f"-D{key}={value}" for key, value in properties.items()),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={out}",
            *flags,
        ]
        log.info("resolving artifacts with maven", extra={"out": str(out)})
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise JvmError(f"maven failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr}")


def run_java(settings: Settings, args: list[str], what: str) -> None:
    """Run ``java`` with ``args``; a non-zero exit raises :class:`JvmError` naming ``what``."""
    done = subprocess.run([java_bin(settings), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise JvmError(f"{what} failed:\n{done.stderr[-3000:]}")
