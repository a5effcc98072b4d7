"""Interval estimates for CX metrics, computed from score histograms.

Pure functions: no Django, no database. Every estimate carries its sample size, a 95 %
confidence interval and a standard error, so callers can both show the uncertainty and test
whether a change between two periods is real. Inputs are histograms (score -> count) because
the database aggregates responses into counts; no response rows are needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats as _scipy_stats

Z95 = 1.959963984540054
_T_CACHE: dict[int, float] = {}


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95 % interval. ``value`` is None when n == 0."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    se: float | None = None

    @property
    def half_width(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


EMPTY = Estimate(value=None, low=None, high=None, n=0, se=None)


def _t975(df: int) -> float:
    if df not in _T_CACHE:
        _T_CACHE[df] = float(_scipy_stats.t.ppf(0.975, df))
    return _T_CACHE[df]


def _clip(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def nps(promoters: int, passives: int, detractors: int) -> Estimate:
    """Net Promoter Score (-100…100) with the adjusted-Wald 95 % interval (Rocks 2016).

    The interval adds 3 to n and 3/4 to promoters and detractors, which keeps its coverage
    near 95 % even for small samples. The reported value is the observed NPS; when n is tiny
    (n = 1 with an extreme answer) the adjusted interval can miss it, and we widen the interval
    to include the observed value rather than show a point outside its own interval.
    """
    n = promoters + passives + detractors
    if min(promoters, passives, detractors) < 0:
        raise ValueError("counts must be non-negative")
    if n == 0:
        return EMPTY
    observed = (promoters - detractors) / n
    n_adj = n + 3
    p_adj = (promoters + 0.75) / n_adj
    d_adj = (detractors + 0.75) / n_adj
    centre = p_adj - d_adj
    variance = (p_adj + d_adj - centre**2) / n_adj
    se = math.sqrt(max(variance, 0.0))
    low = _clip(centre - Z95 * se, -1.0, 1.0)
    high = _clip(centre + Z95 * se, -1.0, 1.0)
    low, high = min(low, observed), max(high, observed)
    return Estimate(value=observed * 100, low=low * 100, high=high * 100, n=n, se=se * 100)


def nps_from_histogram(hist: Mapping[int, int]) -> Estimate:
    promoters = sum(c for s, c in hist.items() if s >= 9)
    passives = sum(c for s, c in hist.items() if 7 <= s <= 8)
    detractors = sum(c for s, c in hist.items() if s <= 6)
    return nps(promoters, passives, detractors)


def wilson(successes: int, n: int) -> Estimate:
    """A proportion (as a percentage) with the Wilson score 95 % interval."""
    if successes < 0 or n < 0 or successes > n:
        raise ValueError("need 0 <= successes <= n")
    if n == 0:
        return EMPTY
    p = successes / n
    z2 = Z95 * Z95
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    margin = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = max(0.0, centre - margin)
    high = min(1.0, centre + margin)
    # Guard against rounding at p = 0 or 1: the interval always contains p.
    low, high = min(low, p), max(high, p)
    se = math.sqrt(p * (1 - p) / n)
    return Estimate(value=p * 100, low=low * 100, high=high * 100, n=n, se=se * 100)


def mean_t(
    hist: Mapping[int, int] | Mapping[float, int], scale_min: float, scale_max: float
) -> Estimate:
    """Mean of a rating scale with a Student t 95 % interval, clipped to the scale.

    With one answer nothing is known about the spread, so the interval is the whole scale.
    """
    n = sum(hist.values())
    if n == 0:
        return EMPTY
    total = sum(s * c for s, c in hist.items())
    mean = total / n
    if n < 2:
        return Estimate(value=mean, low=float(scale_min), high=float(scale_max), n=n, se=None)
    squares = sum(c * (s - mean) ** 2 for s, c in hist.items())
    sd = math.sqrt(squares / (n - 1))
    se = sd / math.sqrt(n)
    margin = _t975(n - 1) * se
    low = _clip(mean - margin, scale_min, scale_max)
    high = _clip(mean + margin, scale_min, scale_max)
    return Estimate(value=mean, low=low, high=high, n=n, se=se)


def share(hist: Mapping[int, int], lowest: int, highest: int) -> Estimate:
    """Share of answers with lowest <= score <= highest (top-2-box, % easy, …), Wilson."""
    n = sum(hist.values())
    hits = sum(c for s, c in hist.items() if lowest <= s <= highest)
    return wilson(hits, n)


def smiley_index(hist: Mapping[int, int]) -> Estimate:
    """Smiley index 0–100: the four faces scored 0, 33⅓, 66⅔ and 100, averaged (t interval)."""
    rescaled = {(s - 1) * 100 / 3: c for s, c in hist.items()}
    return mean_t(rescaled, 0, 100)


def change_is_real(before: Estimate, after: Estimate) -> bool:
    """True when two independent estimates differ at the 5 % level (two-sided z test).

    Used to flag period-over-period changes; without standard errors there is nothing to say.
    """
    if before.value is None or after.value is None or before.se is None or after.se is None:
        return False
    se = math.sqrt(before.se**2 + after.se**2)
    if se == 0:
        return before.value != after.value
    return abs(after.value - before.value) / se > Z95
