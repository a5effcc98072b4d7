"""Precision and recall of the tone guard on the labelled replies, and its speed.

    python bench/tone_guard.py [--split dev|test|all] [--errors]

Reads palaute/text/tests/data/tone_replies.jsonl (hand-written replies by cafés, shops, hotels,
clinics and B2B services, labelled per docs/text-analytics.md "Tone guard"). Prints, for each
split and language, reply-level precision/recall/F1 (flagged at all vs. labelled with anything),
per-category and micro-averaged category scores, and span precision/recall; then the time per
reply (the data set, and 1,000-character replies with and without language detection; the
budget is judged on the median, as other processes on a shared machine only add time).
The rules were tuned on "dev" only; "test" was drawn before any tuning. ``--errors`` lists the
misses and false alarms of the dev split.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palaute.settings")

import django  # noqa: E402

django.setup()

from palaute.text import tone_eval  # noqa: E402
from palaute.text.tone import CATEGORIES, check_reply  # noqa: E402

DATA = ROOT / "palaute" / "text" / "tests" / "data" / "tone_replies.jsonl"
BUDGET_MS = 5.0


def _row(name: str, counts: tone_eval.Counts) -> str:
    return (
        f"  {name:<14} P {counts.precision:5.2f}  R {counts.recall:5.2f}  "
        f"F1 {counts.f1:5.2f}  (n={counts.support}, tp={counts.tp}, fp={counts.fp}, "
        f"fn={counts.fn})"
    )


def print_scores(table: dict, splits: list[str]) -> None:
    for split in splits:
        for lang in ("fi", "en", "all"):
            scores = table.get((lang, split))
            if scores is None:
                continue
            print(f"\n== split {split}, language {lang}: {scores.replies} replies")
            print(_row("reply flagged", scores.reply))
            for category in CATEGORIES:
                print(_row(category, scores.category[category]))
            print(_row("categories", scores.all_categories))
            print(
                f"  {'spans':<14} P {scores.span_precision:5.2f}  R {scores.span_recall:5.2f}  "
                f"(labelled {scores.span_found.support}, flags "
                f"{scores.span_right.tp + scores.span_right.fp})"
            )


def markdown(table: dict) -> None:
    print("\n| split | lang | reply P | reply R | reply F1 |", end="")
    print(" " + " | ".join(f"{c} P/R" for c in CATEGORIES) + " | categories P/R/F1 |")
    print("|---" * (6 + len(CATEGORIES)) + "|")
    for split in ("dev", "test"):
        for lang in ("fi", "en", "all"):
            s = table.get((lang, split))
            if s is None:
                continue
            cats = " | ".join(
                f"{s.category[c].precision:.2f}/{s.category[c].recall:.2f}" for c in CATEGORIES
            )
            a = s.all_categories
            print(
                f"| {split} | {lang} | {s.reply.precision:.2f} | {s.reply.recall:.2f} | "
                f"{s.reply.f1:.2f} | {cats} | {a.precision:.2f}/{a.recall:.2f}/{a.f1:.2f} |"
            )


def errors(rows: list[dict]) -> None:
    print("\n== dev errors (category level)")
    for row in rows:
        if row["split"] != "dev":
            continue
        flags = check_reply(row["text"], row["lang"], author_name=row.get("author_name", ""))
        got = {f.category for f in flags}
        gold = set(row["categories"])
        if got == gold:
            continue
        print(f"\n{row['id']} gold={sorted(gold)} got={sorted(got)}\n  {row['text']}")
        for flag in flags:
            print(f"    + {flag.category}: {flag.text!r}")
        for span in row["spans"]:
            print(f"    - {span['category']}: {span['text']!r}")


def _long_replies(rows: list[dict], lang: str, size: int = 1000) -> list[str]:
    texts = [r["text"] for r in rows if r["lang"] == lang]
    out = []
    for start in range(len(texts)):
        joined = " ".join(texts[start:] + texts[:start])
        out.append(joined[:size].rsplit(" ", 1)[0])
    return out


def _time(texts: list[str], lang: str | None, repeat: int) -> list[float]:
    for text in texts:
        check_reply(text, lang)  # warm the lemma and word caches
    times = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter()
            check_reply(text, lang)
            times.append((time.perf_counter() - started) * 1000)
    return times


def timing(rows: list[dict]) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n== time per reply (ms, one process, warm caches; load average {load:.1f})")
    for lang in ("fi", "en"):
        texts = [r["text"] for r in rows if r["lang"] == lang]
        t = _time(texts, lang, 20)
        mean_len = statistics.mean(len(x) for x in texts)
        print(
            f"  {lang} data set ({mean_len:.0f} chars avg): median {statistics.median(t):.3f}  "
            f"mean {statistics.mean(t):.3f}"
        )
        long = _long_replies(rows, lang)
        for given in (lang, None):
            t = _time(long, given, 5)
            label = "given" if given else "detected"
            median = statistics.median(t)
            verdict = "PASS" if median < BUDGET_MS else "FAIL"
            print(
                f"  {lang} 1,000 chars, language {label}: median {median:.3f}  "
                f"p95 {statistics.quantiles(t, n=20)[-1]:.3f}  best {min(t):.3f}  "
                f"budget {BUDGET_MS} ms {verdict}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default=None)
    parser.add_argument("--errors", action="store_true", help="list the dev split's errors")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    rows = tone_eval.load(DATA)
    table = tone_eval.run(rows)
    splits = [args.split] if args.split else ["dev", "test"]
    print_scores(table, splits)
    markdown(table)
    if args.errors:
        errors(rows)
    if not args.no_timing:
        timing(rows)


if __name__ == "__main__":
    main()
