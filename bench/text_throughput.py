"""Throughput of the default text pipeline (sentiment + themes), comments per second per core.

    python bench/text_throughput.py [--comments 20000]

Generates ~250-character Finnish and English customer comments from phrase pools (so the
vocabulary varies the way real comments do), warms the caches once, and times ``analyse_many``
in this single process. The budget (BRIEF §8) is ≥ 5,000 comments/s per core.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from palaute.text.pipeline import analyse_many  # noqa: E402

BUDGET = 5000
FI = [
    "Asentaja tuli sovitusti ajallaan ja työnjälki oli siisti",
    "laskussa oli virhe ja sen selvittäminen kesti viikkoja",
    "asiakaspalveluun oli vaikea saada yhteyttä, jonotin puhelimessa puoli tuntia",
    "kahvi oli hyvää mutta pullat olivat kuivia",
    "henkilökunta oli erittäin ystävällistä ja palvelualtista",
    "toimitusaika venyi kahdella viikolla eikä kukaan ilmoittanut viivästyksestä",
    "hinta-laatusuhde on mielestäni kohdallaan",
    "sovellus kaatuu aina kun yritän maksaa laskun",
    "lattialle jäi pölyä ja roskia asennuksen jälkeen",
    "sain selkeät ohjeet etukäteen, kiitos siitä",
    "jono oli pitkä vaikka paikalla oli kolme myyjää",
    "tuote hajosi kuukauden käytön jälkeen eikä takuu kattanut sitä",
    "projektipäällikkö piti meidät hyvin ajan tasalla koko ajan",
    "nettiajanvaraus toimi helposti ja nopeasti",
]
EN = [
    "The installer arrived on time and left the place tidy",
    "the invoice was wrong and fixing it took weeks",
    "customer service was hard to reach, I waited on hold for half an hour",
    "the coffee was great but the buns were dry",
    "the staff were very friendly and helpful",
    "delivery was two weeks late and nobody told us about the delay",
    "value for money is fair in my opinion",
    "the app crashes every time I try to pay the bill",
    "they left dust and debris on the floor after the installation",
    "we got clear instructions in advance, thank you",
    "the queue was long although there were three people at the counter",
    "the product broke after a month and the warranty did not cover it",
    "our project manager kept us informed the whole time",
    "online booking was quick and easy",
]


def comment(rng: random.Random, pool: list[str], length: int = 250) -> str:
    parts: list[str] = []
    while sum(len(p) + 2 for p in parts) < length:
        parts.append(rng.choice(pool))
    text = ". ".join(parts)
    return text[0].upper() + text[1:] + "."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(6)
    texts = [comment(rng, FI if i % 2 else EN) for i in range(args.comments)]
    average = sum(map(len, texts)) / len(texts)
    analyse_many(texts[:500])  # load lexicons, lingua and the lemma caches once
    started = time.process_time()
    wall = time.perf_counter()
    analyse_many(texts)
    cpu = time.process_time() - started
    elapsed = time.perf_counter() - wall
    rate = len(texts) / cpu
    print(f"{len(texts)} comments, {average:.0f} characters on average (half fi, half en)")
    print(f"{rate:,.0f} comments/s per core (CPU time {cpu:.2f} s, wall {elapsed:.2f} s)")
    verdict = "PASS" if rate >= BUDGET else "FAIL"
    print(f"{verdict} budget ≥ {BUDGET:,} comments/s per core")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
