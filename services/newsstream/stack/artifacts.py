"""Installing the local stack: Kafka and Elasticsearch from Maven Central, cached on disk.

Maven resolves the artifacts named in ``pom.xml`` into ``<cache>/stack`` (its own local
repository lives there too, so a second machine run needs no download at all). The
Elasticsearch distribution is unpacked once and gets newsstream's small analysis plugin,
compiled here with ``javac`` against that exact distribution's jars.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from newsstream import jvm
from newsstream.errors import JvmError, StackError
from newsstream.progress import spinner
from newsstream.settings import Settings

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.1"
ELASTICSEARCH_VERSION = "8.19.21"
LOG4J_VERSION = "2.25.2"
PLUGIN_NAME = "newsstream-analysis"


@dataclass(frozen=True)
class StackPaths:
    """Where the installed artifacts live (under the cache dir, shared by every state dir)."""

    root: Path

    @property
    def maven_repo(self) -> Path:
        return self.root / "m2"

    @property
    def kafka_libs(self) -> Path:
        return self.root / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def es_home(self) -> Path:
        return self.root / f"elasticsearch-{ELASTICSEARCH_VERSION}"

    @property
    def es_plugin_dir(self) -> Path:
        return self.es_home / "plugins" / PLUGIN_NAME


def stack_paths(settings: Settings) -> StackPaths:
    return StackPaths(settings.cache_dir / "stack")


def java_bin(settings: Settings, tool: str = "java") -> str:
    """:func:`newsstream.jvm.java_bin` for the stack (a failure is a :class:`StackError`)."""
    try:
        return jvm.java_bin(settings, tool)
    except JvmError as exc:
        raise StackError(exc.message) from exc


def java_home(settings: Settings) -> Path:
    """:func:`newsstream.jvm.java_home` for the stack (a failure is a :class:`StackError`)."""
    try:
        return jvm.java_home(settings)
    except JvmError as exc:
        raise StackError(exc.message) from exc


def install(settings: Settings) -> StackPaths:
    """Resolve and unpack everything the local stack needs; a no-op when already cached."""
    paths = stack_paths(settings)
    if not (paths.kafka_libs / ".complete").exists():
        with spinner(f"downloading Kafka {KAFKA_VERSION} from Maven Central (once)"):
            _maven_copy(settings, paths, paths.kafka_libs, "-DexcludeTypes=zip")
        (paths.kafka_libs / ".complete").touch()
    if not (paths.es_home / ".complete").exists():
        with spinner(
            f"downloading Elasticsearch {ELASTICSEARCH_VERSION} from Maven Central (once)"
        ):
            _install_elasticsearch(settings, paths)
    if not (paths.es_home / _plugin_marker()).exists():
        with spinner("compiling newsstream's Elasticsearch plugin"):
            _build_plugin(settings, paths)
    return paths


def _plugin_marker() -> str:
    """A marker named after the plugin sources, so a changed plugin is rebuilt on next use."""
    digest = hashlib.sha256()
    source_pkg = resources.files("newsstream.stack").joinpath("es_plugin")
    for name in sorted(("NewsstreamAnalysisPlugin.java", "plugin-descriptor.properties")):
        digest.update(source_pkg.joinpath(name).read_bytes())
    return f".plugin-{digest.hexdigest()[:12]}"


def _maven_copy(settings: Settings, paths: StackPaths, out: Path, *flags: str) -> None:
    pom = resources.files("newsstream.stack").joinpath("pom.xml")
    properties = {
        "kafka.version": KAFKA_VERSION,
        "elasticsearch.version": ELASTICSEARCH_VERSION,
        "log4j.version": LOG4J_VERSION,
    }
    try:
        jvm.maven_copy(pom, out, paths.maven_repo, properties, *flags)
    except JvmError as exc:
        raise StackError(exc.message) from exc


def _install_elasticsearch(settings: Settings, paths: StackPaths) -> None:
    with tempfile.TemporaryDirectory(dir=paths.root.parent if paths.root.exists() else None) as tmp:
        download = Path(tmp) / "zip"
        _maven_copy(settings, paths, download, "-DincludeTypes=zip")
        archives = sorted(download.glob("elasticsearch-*.zip"))
        if not archives:
            raise StackError("maven did not deliver the Elasticsearch distribution zip")
        unpack = Path(tmp) / "unpacked"
        with zipfile.ZipFile(archives[0]) as archive:
            archive.extractall(unpack)
        (top,) = list(unpack.iterdir())
        for script in (top / "bin").iterdir():
            script.chmod(0o755)
        for launcher in (top / "lib").rglob("*"):
            if launcher.is_file() and launcher.suffix == "":
                launcher.chmod(0o755)
        if paths.es_home.exists():
            shutil.rmtree(paths.es_home)
        paths.es_home.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(top), paths.es_home)
    (paths.es_home / ".complete").touch()


def _build_plugin(settings: Settings, paths: StackPaths) -> None:
    """Compile the German-analyzer plugin against the installed distribution."""
    source_pkg = resources.files("newsstream.stack").joinpath("es_plugin")
    with tempfile.TemporaryDirectory() as tmp, resources.as_file(source_pkg) as src:
        classes = Path(tmp) / "classes"
        classes.mkdir()
        classpath = str(paths.es_home / "lib" / "*")
        cmd = [
            java_bin(settings, "javac"),
            "-nowarn",
            "--release",
            "17",
            "-d",
            str(classes),
            "-cp",
            classpath,
            str(Path(src) / "NewsstreamAnalysisPlugin.java"),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackError(f"compiling the analysis plugin failed:\n{done.stderr[-3000:]}")
        paths.es_plugin_dir.mkdir(parents=True, exist_ok=True)
        jar = paths.es_plugin_dir / f"{PLUGIN_NAME}.jar"
        with zipfile.ZipFile(jar, "w") as out:
            for path in classes.rglob("*.class"):
                out.write(path, path.relative_to(classes).as_posix())
        descriptor = (Path(src) / "plugin-descriptor.properties").read_text()
        (paths.es_plugin_dir / "plugin-descriptor.properties").write_text(
            descriptor.replace("@ES_VERSION@", ELASTICSEARCH_VERSION)
        )
    for old in paths.es_home.glob(".plugin-*"):
        old.unlink()
    (paths.es_home / _plugin_marker()).touch()
