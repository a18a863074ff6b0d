"""Pipeline throughput on the local cluster against the single-node stack, same machine, same run.

Both stacks run side by side (the single node on the usual ports, the cluster - three Kafka
KRaft nodes with replication 3 / two in sync, two Elasticsearch nodes with one replica - on
29092.. and 29200..). For each, in interleaved rounds: N full-length articles are produced to
a fresh raw topic, then two ``newsstream extract --until-idle`` workers and one ``newsstream
index`` run as processes; the clock (wall time) runs from their start until the indexer has
committed every article (it commits after Elasticsearch acknowledged the bulk write); the count
in Elasticsearch is checked afterwards. The ratio is
cluster / single on the same articles: what replication costs on one 2-core machine (five
JVMs instead of two share the cores; on real hardware each node has its own).

Usage: ``python bench/cluster.py [--articles 300] [--rounds 2]``. Starts whatever is not
running and stops what it started. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.helpers import raw_article  # noqa: E402
from tests.support.corpus import make_corpus  # noqa: E402

from newsstream.bus import make_producer  # noqa: E402
from newsstream.roles import settings_env  # noqa: E402
from newsstream.settings import Settings  # noqa: E402
from newsstream.stack import manager  # noqa: E402
from newsstream.stack.topology import Topology  # noqa: E402
from newsstream.store import make_es  # noqa: E402
from newsstream.topics import COMPACTED, DEAD_LETTER, create_topics  # noqa: E402
from runkit import drop, wait_committed  # noqa: E402

CLUSTER_STATE = Path("/tmp/newsstream-cluster-tests")


def stacks() -> tuple[Settings, Settings, list[tuple[Settings, list[str]]]]:
    single = Settings(allowed_private_networks=["127.0.0.1/32"])
    base = Settings(
        state_dir=CLUSTER_STATE, kafka_bootstrap="127.0.0.1:29092", es_url="http://127.0.0.1:29200",
        kafka_heap_mb=384, es_heap_mb=512,
    )  # fmt: skip
    shape = Topology(brokers=3, es_nodes=2)
    started = [(single, manager.up(single)), (base, manager.up(base, shape))]
    cluster = base.model_copy(
        update={"kafka_bootstrap": shape.bootstrap(base), "es_url": shape.es_url(base)}
    )
    return single, cluster, started


def one_round(stack: Settings, articles: list[bytes]) -> float:
    tag = f"bc{uuid.uuid4().hex[:8]}"
    s = stack.model_copy(
        update={
            "topic_raw": f"{tag}.raw", "topic_enriched": f"{tag}.enriched",
            "topic_dead_letter": f"{tag}.dlq", "extractor_group": f"{tag}-x",
            "indexer_group": f"{tag}-i", "articles_alias": f"{tag}-articles",
            "quotes_alias": f"{tag}-quotes", "state_dir": Path(f"/tmp/newsstream-bench/{tag}"),
            "idle_seconds": 3.0, "metrics_enabled": False, "log_level": "WARNING",
        }
    )  # fmt: skip
    create_topics(s, {s.topic_raw: (6, COMPACTED), s.topic_enriched: (6, COMPACTED),
                      s.topic_dead_letter: (1, DEAD_LETTER)})  # fmt: skip
    producer = make_producer(s)
    for value in articles:
        producer.send(s.topic_raw, key=json.loads(value)["article_id"].encode(), value=value)
    producer.flush()
    producer.close()
    env = settings_env(s)
    s.state_dir.mkdir(parents=True, exist_ok=True)
    log_path = s.state_dir / "roles.log"
    began = time.monotonic()
    cmd = [sys.executable, "-m", "newsstream"]
    with log_path.open("w", encoding="utf-8") as log:  # the roles' logs, shown if the run fails
        workers = [
            subprocess.Popen([*cmd, "extract", "--until-idle"], env=env, stderr=log)
            for _ in range(2)
        ]
        # the indexer runs until stopped: "--until-idle" would see an empty enriched topic while
        # the extractors still load their model and leave before the first article arrives
        indexer = subprocess.Popen([*cmd, "index"], env=env, stderr=log)
        codes = [proc.wait(timeout=3600) for proc in workers]
        wait_committed(s, s.indexer_group, s.topic_enriched, 600, total=len(articles))
        seconds = time.monotonic() - began
        indexer.send_signal(signal.SIGTERM)
        codes.append(indexer.wait(timeout=120))
    es = make_es(s)
    es.indices.refresh(index=s.articles_alias)
    found = int(es.count(index=s.articles_alias)["count"])
    drop(s)  # its topics, indices and templates: left behind, they slow every later run
    if found != len(articles) or any(codes):
        tail = log_path.read_text("utf-8", "replace")[-4000:]
        raise SystemExit(
            f"{found} of {len(articles)} articles indexed, exit codes {codes}: the run is invalid"
            f"\n{tail}"
        )
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    single, cluster, started = stacks()
    corpus = make_corpus(args.articles, quotes=2, full_length=True)
    articles = [raw_article(v).to_bytes() for v in corpus]
    times: dict[str, list[float]] = {"single": [], "cluster": []}
    try:
        for i in range(args.rounds):
            order = [("single", single), ("cluster", cluster)]
            for name, stack in order if i % 2 == 0 else order[::-1]:
                seconds = one_round(stack, articles)
                times[name].append(seconds)
                print(f"round {i + 1} {name:7s}: {args.articles} articles in {seconds:6.1f} s "
                      f"= {args.articles / seconds:5.1f} articles/s", flush=True)  # fmt: skip
    finally:
        for settings, names in started:
            if names:
                manager.down(settings)
    single_s, cluster_s = statistics.median(times["single"]), statistics.median(times["cluster"])
    result = {
        "articles": args.articles,
        "rounds": args.rounds,
        "single_articles_per_s": round(args.articles / single_s, 2),
        "cluster_articles_per_s": round(args.articles / cluster_s, 2),
        "cluster_vs_single": round(single_s / cluster_s, 3),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
