"""Benchmark syndicated-copy detection: precision and recall of "is a copy" over pairs.

Reads the dev articles (``../shared/data/articles/dev/*.json``, field ``text``) at run time,
never copies them: for each it makes four synthetic copies the way outlets copy agency
stories (light edits; an added lead; a cut tail; all three), shuffles the originals and the
copies, and sends them one by one through the real story index (``StoryIndex`` over a
temporary SQLite file: fingerprint, LSH candidates, verdict, write), as the poller does.

A pair of articles is "a copy" when both come from the same original. Predicted: the two got
the same ``story_id``. Precision and recall are over all pairs of the run. Then every article
is assigned again (a redelivery) and must get the same story id.

The run is repeated with ``--runs`` seeds (different copies, different order); precision
and recall are pooled over all runs, the rate is the median run's.

Usage: ``python bench/dedupe.py [--dev DIR] [--seed N] [--runs N]``. The last line is one JSON
object: ``{"pairs", "precision", "recall", "articles_per_s", ...}``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from newsstream.outlets.dedupe import fingerprint
from newsstream.poller.state import PollerState
from newsstream.poller.stories import StoryIndex

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "articles" / "dev"
KINDS = ("edit", "lead", "cut", "all")

#: Leads an outlet puts before an agency text (our own sentences, filled at random).
_LEADS = (
    "{place} ({agency}) - Was bedeutet das für die Menschen in der Region? Unsere Redaktion "
    "hat die wichtigsten Informationen zusammengetragen.",
    "Aktualisiert um {hour} Uhr. {place}: Die Lage bleibt unübersichtlich, wie Reporter vor "
    "Ort berichten. Hier der Überblick der Agentur {agency}.",
    "Das Wichtigste in Kürze: In {place} wird weiter über die Folgen gestritten. Mehr dazu "
    "lesen Sie im folgenden Bericht von {agency}, den wir leicht gekürzt übernehmen.",
)
_PLACES = ("Berlin", "München", "Hamburg", "Köln", "Nürnberg", "Leipzig", "Augsburg")
_AGENCIES = ("dpa", "AFP", "epd", "KNA", "Reuters")
_SWAPS = ("auch", "nun", "bereits", "etwa", "jedoch", "weiterhin", "laut", "zudem", "noch")


def _edit(text: str, rng: random.Random) -> str:
    """Light edits: ~4 % of the words replaced, ~2 % dropped, a few inserted."""
    out = []
    for word in text.split(" "):
        roll = rng.random()
        if roll < 0.02:
            continue
        if roll < 0.06 and word.isalpha():
            out.append(rng.choice(_SWAPS))
            continue
        out.append(word)
        if roll > 0.99:
            out.append(rng.choice(_SWAPS))
    return " ".join(out)


def _lead(text: str, rng: random.Random) -> str:
    lead = rng.choice(_LEADS).format(
        place=rng.choice(_PLACES), agency=rng.choice(_AGENCIES), hour=rng.randint(6, 22)
    )
    return f"{lead}\n\n{text}"


def _cut(text: str, rng: random.Random, keep: float) -> str:
    """The tail cut: the first ``keep`` share of paragraphs (of words for one paragraph)."""
    paragraphs = text.split("\n\n")
    if len(paragraphs) >= 3:
        return "\n\n".join(paragraphs[: max(1, round(len(paragraphs) * keep))])
    words = text.split(" ")
    return " ".join(words[: max(30, round(len(words) * keep))])


def copies(text: str, rng: random.Random) -> dict[str, str]:
    return {
        "edit": _edit(text, rng),
        "lead": _lead(text, rng),
        "cut": _cut(text, rng, rng.uniform(0.5, 0.7)),
        "all": _cut(_edit(_lead(text, rng), rng), rng, 0.7),
    }


def load(dev: Path) -> list[str]:
    files = sorted(dev.glob("*.json"))
    if not files:
        sys.exit(f"no dev articles in {dev} (put the shared/ folder beside the repository)")
    return [json.loads(f.read_text(encoding="utf-8"))["text"] for f in files]


def run(texts: list[str], seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    items: list[tuple[str, int, str, str]] = []  # (article id, family, kind, text)
    for family, text in enumerate(texts):
        items.append((f"f{family}-original", family, "original", text))
        for kind, copy in copies(text, rng).items():
            items.append((f"f{family}-{kind}", family, kind, copy))
    rng.shuffle(items)
    with tempfile.TemporaryDirectory() as tmp:
        state = PollerState(Path(tmp))  # the poller's own file settings (WAL)
        index = StoryIndex(state.db)
        started = time.perf_counter()
        story = {aid: index.assign(aid, fingerprint(text)).story_id for aid, _, _, text in items}
        elapsed = time.perf_counter() - started
        again = {aid: index.assign(aid, fingerprint(text)).story_id for aid, _, _, text in items}
        state.close()
    tp = fp = fn = 0
    for (a, fa, _, _), (b, fb, _, _) in itertools.combinations(items, 2):
        same_story, same_family = story[a] == story[b], fa == fb
        tp += same_story and same_family
        fp += same_story and not same_family
        fn += same_family and not same_story
    family_story = Counter()
    missed: Counter[str] = Counter()
    roots = {fam: story[f"f{fam}-original"] for fam in range(len(texts))}
    for aid, fam, kind, _ in items:
        family_story[story[aid] == roots[fam]] += 1
        if story[aid] != roots[fam]:
            missed[kind] += 1
    return {
        "articles": len(items),
        "pairs": len(items) * (len(items) - 1) // 2,
        "copy_pairs": tp + fn,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "articles_per_s": round(len(items) / elapsed, 1),
        "separated_by_kind": dict(missed),
        "stories": len(set(story.values())),
        "families": len(texts),
        "redelivery_same_story": again == story,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    texts = load(args.dev)
    results = []
    for seed in range(args.seed, args.seed + args.runs):
        r = run(texts, seed)
        results.append(r)
        print(f"seed {seed}: {r['articles']} articles ({r['families']} dev originals + 4 "
              f"synthetic copies each), precision {r['precision']:.3f} recall {r['recall']:.3f} "
              f"({r['false_positives']} false, {r['false_negatives']} missed of "
              f"{r['copy_pairs']} copy pairs), {r['stories']} stories (ideal {r['families']}), "
              f"outside their story by kind: {r['separated_by_kind'] or 'none'}, "
              f"{r['articles_per_s']} articles/s, redelivery same story: "
              f"{r['redelivery_same_story']}")  # fmt: skip
    tp = sum(int(r["true_positives"]) for r in results)  # type: ignore[call-overload]
    fp = sum(int(r["false_positives"]) for r in results)  # type: ignore[call-overload]
    fn = sum(int(r["false_negatives"]) for r in results)  # type: ignore[call-overload]
    rates = sorted(float(r["articles_per_s"]) for r in results)  # type: ignore[arg-type]
    summary = {
        "pairs": sum(int(r["pairs"]) for r in results),  # type: ignore[call-overload]
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "articles_per_s": rates[len(rates) // 2],
        "copy_pairs": tp + fn,
        "false_positives": fp,
        "false_negatives": fn,
        "runs": len(results),
        "redelivery_same_story": all(r["redelivery_same_story"] for r in results),
    }
    print(f"pooled over {len(results)} runs: precision {summary['precision']:.3f}, recall "
          f"{summary['recall']:.3f}; median {summary['articles_per_s']} articles/s "
          "(fingerprint + LSH lookup + verdict + SQLite write, one thread)")  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
