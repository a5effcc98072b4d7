"""Speed of the text pages' queries at scale: the verbatim explorer, theme trends, the heat map
and driver analysis, plus storing analyses in bulk.

    python bench/text_explorer.py [--responses 300000] [--db /tmp/palaute-text-bench.sqlite3]

Builds the demo (``palaute.demo``) with the given number of responses into a fresh SQLite
file (about a third of responses carry a comment, so 300,000 responses give ~100,000 analysed
comments), then times each query several times and prints the median. Needs a few minutes and
about 1 GB of disk.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=300_000)
    parser.add_argument("--db", default="/tmp/palaute-text-bench.sqlite3")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    args = parser.parse_args()
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(args.db + suffix).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palaute.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from palaute.accounts.models import Organisation
    from palaute.demo import builder
    from palaute.insights import drivers
    from palaute.journeys.models import Touchpoint
    from palaute.surveys.models import Survey
    from palaute.text import analysis, explorer, trends
    from palaute.text.models import CommentAnalysis
    from palaute.text.names import theme_names

    if not args.reuse:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        result = builder.build(responses=args.responses, seed=1)
        print(
            f"built {result.responses:,} responses, {result.comments:,} comments "
            f"(analysed {result.analysed:,}) in {time.perf_counter() - started:.1f} s"
        )
    org = Organisation.objects.get(slug=builder.CAFE_SLUG)
    print(f"café comments analysed: {CommentAnalysis.objects.filter(organisation=org).count():,}")

    started = time.perf_counter()
    done = analysis.analyse_history(org)
    seconds = time.perf_counter() - started
    print(f"re-analysing and storing {done:,} comments: {seconds:.1f} s ({done / seconds:,.0f}/s)")

    names = theme_names(org.id)
    counter = Touchpoint.objects.get(organisation=org, key="counter")
    survey = Survey.objects.get(organisation=org, key="counter-kiosk")

    def timed(label: str, fn, repeat: int = 5) -> None:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        print(f"{label:58s} {1000 * statistics.median(times):8.1f} ms")

    def explorer_page(params: dict, after: str = "") -> None:
        f = explorer.parse(params, org, set(names))
        explorer.page(org, f, names, after=after)

    def explorer_count(params: dict) -> None:
        explorer.count(org, explorer.parse(params, org, set(names)))

    # A cursor deep in the history: the 2,000th newest comment.
    deep = (
        CommentAnalysis.objects.filter(organisation=org)
        .order_by("-submitted_at", "-pk")
        .values_list("submitted_at", "pk")[2000]
    )
    deep_cursor = f"{deep[0].isoformat()}~{deep[1]}"
    for label, params in (
        ("explorer page, no filter", {"period": "all"}),
        ("explorer page, theme=schedule", {"period": "all", "theme": "schedule"}),
        (
            "explorer page, theme=ambience negative (rare)",
            {"period": "all", "theme": "ambience", "sentiment": "negative"},
        ),
        ("explorer page, touchpoint + sentiment", {"touchpoint": "counter", "sentiment": "mixed"}),
        ("explorer page, language=en, 90 days", {"language": "en", "period": "90"}),
        ("explorer page, words 'kanelipulla' (rare)", {"period": "all", "q": "kanelipulla"}),
    ):
        timed(label, lambda p=params: explorer_page(p))
    timed("explorer page 81 (keyset cursor)", lambda: explorer_page({"period": "all"}, deep_cursor))
    timed("explorer count, no filter (capped at 10,000)", lambda: explorer_count({"period": "all"}))
    timed(
        "explorer count, theme=schedule",
        lambda: explorer_count({"period": "all", "theme": "schedule"}),
    )
    qs = trends.mentions(org.id, None, None)
    timed("theme trends (GROUP BY theme, day, sentiment)", lambda: trends.theme_trends(qs, names))
    timed(
        "heat map (GROUP BY theme, touchpoint, sentiment)",
        lambda: trends.heat_map(qs, org.id, names),
    )
    timed(
        "touchpoint trends",
        lambda: trends.theme_trends(
            trends.mentions(org.id, None, None, touchpoint_id=counter.pk), names
        ),
    )

    def driver_load():
        return drivers.load(survey, "smiley")

    data = driver_load()
    print(f"driver data: {len(data.y):,} responses (cap {drivers.SAMPLE_CAP:,})")
    timed("driver data query (one GROUP BY, newest 50,000)", driver_load, repeat=3)
    timed("driver analysis (relative weights, 200 bootstraps)", lambda: drivers.analyse(data), 3)
    timed(
        "active-learning queue (2,000 candidates)", lambda: analysis.active_learning_queue(org), 3
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
