"""Inline SVG charts for the insight pages.

Pure functions: they take already aggregated numbers (buckets, trend points) and return an
SVG string. No JavaScript; every chart has role="img", a <title> and a <desc> that tell a
screen-reader user what a sighted user sees, and every piece of text is escaped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from html import escape

from django.utils import dateformat
from django.utils.translation import gettext as _

GOOD = "#1b7f3b"
OK = "#a87a00"
BAD = "#b3261e"
INK = "#1d2430"
MUTED = "#5a6473"
GRID = "#e3e7ec"
LINE = "#0b5cad"
BAND = "#0b5cad"

# Where the headline of each kind lives: NPS −100…100, shares and the smiley index 0…100;
# the others are means on their own scale.
PERCENT_KINDS = ("csat", "smiley")


# --- colours ------------------------------------------------------------------------------


def score_tone(kind: str, score: int, scale: tuple[int, int]) -> str:
    """ "good", "ok" or "bad" for one scale point, by what the score means for the kind."""
    if kind == "nps":
        return "bad" if score <= 6 else "ok" if score <= 8 else "good"
    if kind == "csat":
        return "bad" if score <= 2 else "ok" if score == 3 else "good"
    if kind == "ces":  # effort: 1 = very easy is good
        return "good" if score <= 3 else "ok" if score == 4 else "bad"
    if kind == "smiley":
        return "bad" if score <= 2 else "good"
    low, high = scale
    fraction = (score - low) / (high - low) if high > low else 1.0
    return "bad" if fraction < 0.4 else "ok" if fraction < 0.7 else "good"


def score_class(goodness: float | None) -> str:
    """CSS class for a metric's goodness (0..1): score-good ≥ 0.7, score-ok ≥ 0.5."""
    if goodness is None:
        return "score-none"
    if goodness >= 0.7:
        return "score-good"
    if goodness >= 0.5:
        return "score-ok"
    return "score-bad"


_FILL = {"good": GOOD, "ok": OK, "bad": BAD}


# --- helpers ------------------------------------------------------------------------------


def _uid(*parts: object) -> str:
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()[:8]
    return f"ch{digest}"


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open(uid: str, width: int, height: int, title: str, desc: str, css: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{uid}-t {uid}-d" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
    )


def _text(x: float, y: float, text: str, size: int = 12, fill: str = INK, anchor="middle", **kw):
    extra = "".join(f' {k.replace("_", "-")}="{escape(str(v))}"' for k, v in kw.items())
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}"{extra}>{escape(text)}</text>'
    )


def y_domain(kind: str, scale: tuple[int, int]) -> tuple[float, float]:
    if kind == "nps":
        return (-100.0, 100.0)
    if kind in PERCENT_KINDS:
        return (0.0, 100.0)
    return (float(scale[0]), float(scale[1]))


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    step = next(s for s in (0.5, 1, 2, 5, 10, 20, 25, 50, 100) if span / s <= 6)
    first = step * -(-low // step)
    ticks, value = [], first
    while value <= high + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks


def _period_label(start: date, period: str, first: bool) -> str:
    if period == "month":
        if first or start.month == 1:
            return dateformat.format(start, "M Y")
        return dateformat.format(start, "M")
    return dateformat.format(start, "j.n.")


# --- charts -------------------------------------------------------------------------------


def distribution_svg(buckets: Sequence, kind: str, uid: str | None = None) -> str:
    """Bars for every scale point: count and percent above, the score below.

    ``buckets`` are ``metrics.Bucket``-like objects with ``score``, ``n`` and ``percent``.
    """
    buckets = list(buckets)
    uid = uid or _uid("dist", kind, [(b.score, b.n) for b in buckets])
    scale = (buckets[0].score, buckets[-1].score) if buckets else (0, 0)
    total = sum(b.n for b in buckets)
    slot, left, top, plot_h = 44, 8, 34, 110
    width = left * 2 + slot * max(len(buckets), 1)
    height = top + plot_h + 40
    base = top + plot_h
    peak = max((b.percent for b in buckets), default=0) or 1
    title = _("Distribution of answers, n = {n}").format(n=total)
    desc = "; ".join(
        _("{score}: {n} answers ({percent} %)").format(
            score=b.score, n=b.n, percent=f"{b.percent:.0f}"
        )
        for b in buckets
    )
    out = [_open(uid, width, height, title, desc or _("No answers"), "chart chart-dist")]
    out.append(
        f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="{MUTED}" '
        f'stroke-width="1"/>'
    )
    for i, b in enumerate(buckets):
        x = left + i * slot
        bar_h = plot_h * b.percent / peak
        fill = _FILL[score_tone(kind, b.score, scale)]
        if b.n:
            out.append(
                f'<rect x="{_num(x + 6)}" y="{_num(base - bar_h)}" width="{slot - 12}" '
                f'height="{_num(max(bar_h, 1))}" rx="2" fill="{fill}"/>'
            )
        out.append(_text(x + slot / 2, base - bar_h - 18, f"{b.percent:.0f} %", 11))
        out.append(_text(x + slot / 2, base - bar_h - 5, f"{b.n}", 10, MUTED))
        out.append(_text(x + slot / 2, base + 16, str(b.score), 12, INK, font_weight="600"))
        out.append(
            f'<rect x="{_num(x + 6)}" y="{base + 24}" width="{slot - 12}" height="4" rx="1" '
            f'fill="{fill}" aria-hidden="true"/>'
        )
    out.append("</svg>")
    return "".join(out)


def trend_svg(
    points: Sequence,
    kind: str,
    scale: tuple[int, int],
    period: str = "month",
    uid: str | None = None,
) -> str:
    """Headline per period with its 95 % interval as a band.

    ``points`` are ``metrics.TrendPoint``-like objects (``start``, ``summary``,
    ``change_is_real``). Periods without answers leave a gap in the line and the band; a
    change that is statistically real is marked with a diamond.
    """
    points = list(points)
    uid = uid or _uid("trend", kind, scale, period, [(p.start, p.summary.n) for p in points])
    width, height = 640, 230
    left, right, top, bottom = 46, 14, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    y_low, y_high = y_domain(kind, scale)
    label = points[0].summary.label if points else kind
    fmt = points[0].summary.headline_format if points else "{:.2f}"

    def fx(i: int) -> float:
        return left + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    def fy(v: float) -> float:
        v = max(y_low, min(y_high, v))
        return top + plot_h * (1 - (v - y_low) / (y_high - y_low or 1))

    def value_text(v: float | None) -> str:
        return "–" if v is None else fmt.format(v)

    described = []
    for p in points:
        h = p.summary.headline
        if p.summary.n:
            mark = " ◆" if p.change_is_real else ""
            described.append(
                f"{_period_label(p.start, period, True)}: {value_text(h.value)} "
                f"({value_text(h.low)}…{value_text(h.high)}), n = {p.summary.n}{mark}"
            )
    title = _("{label} over time, with {level} confidence interval").format(
        label=label, level="95 %"
    )
    desc = "; ".join(described) or _("No answers in this period")
    out = [_open(uid, width, height, title, desc, "chart chart-trend")]
    for tick in _ticks(y_low, y_high):
        y = fy(tick)
        out.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        tick_text = f"{tick:+.0f}" if kind == "nps" and tick else _num(tick)
        out.append(_text(left - 6, y + 4, tick_text, 11, MUTED, anchor="end"))
    # Segments of consecutive periods with answers.
    segments: list[list[int]] = []
    for i, p in enumerate(points):
        if p.summary.n and p.summary.headline.value is not None:
            if segments and segments[-1][-1] == i - 1:
                segments[-1].append(i)
            else:
                segments.append([i])
    for seg in segments:
        hs = [points[i].summary.headline for i in seg]
        if len(seg) > 1:
            upper = [
                f"{_num(fx(i))},{_num(fy(h.high if h.high is not None else h.value))}"
                for i, h in zip(seg, hs, strict=True)
            ]
            lower = [
                f"{_num(fx(i))},{_num(fy(h.low if h.low is not None else h.value))}"
                for i, h in zip(seg, hs, strict=True)
            ]
            out.append(
                f'<polygon points="{" ".join(upper + lower[::-1])}" fill="{BAND}" '
                f'fill-opacity="0.14" stroke="none"/>'
            )
            line = " ".join(
                f"{_num(fx(i))},{_num(fy(h.value))}" for i, h in zip(seg, hs, strict=True)
            )
            out.append(
                f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="2" '
                f'stroke-linejoin="round"/>'
            )
        else:
            i, h = seg[0], hs[0]
            if h.low is not None and h.high is not None:
                out.append(
                    f'<line x1="{_num(fx(i))}" y1="{_num(fy(h.low))}" x2="{_num(fx(i))}" '
                    f'y2="{_num(fy(h.high))}" stroke="{BAND}" stroke-opacity="0.35" '
                    f'stroke-width="6" stroke-linecap="round"/>'
                )
    for i, p in enumerate(points):
        h = p.summary.headline
        if not p.summary.n or h.value is None:
            continue
        x, y = fx(i), fy(h.value)
        tip = (
            f"{_period_label(p.start, period, True)}: {p.summary.label} {value_text(h.value)} "
            f"({value_text(h.low)}…{value_text(h.high)}), n = {p.summary.n}"
        )
        if p.change_is_real:
            tip += " ◆ " + _("statistically real change")
            out.append(
                f'<path d="M{_num(x)} {_num(y - 8)} L{_num(x + 8)} {_num(y)} L{_num(x)} '
                f'{_num(y + 8)} L{_num(x - 8)} {_num(y)} Z" fill="#fff" stroke="{INK}" '
                f'stroke-width="1.5" class="real-change"><title>{escape(tip)}</title></path>'
            )
        out.append(
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{LINE}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    # X labels: at most about twelve, evenly spaced from the first period.
    every = max(1, -(-len(points) // 12))
    for i, p in enumerate(points):
        if i % every == 0:
            out.append(
                _text(
                    fx(i), height - bottom + 18, _period_label(p.start, period, i == 0), 11, MUTED
                )
            )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    out.append("</svg>")
    return "".join(out)


def sparkline_svg(
    values: Sequence[float | None],
    domain: tuple[float, float],
    label: str,
    tone: str = "",
    width: int = 120,
    height: int = 28,
    min_span: float | None = None,
) -> str:
    """A tiny line for a map card; None values leave gaps. ``label`` is read aloud.

    With ``min_span`` the vertical axis zooms to the data, at least ``min_span`` tall.
    """
    low, high = domain
    seen = [v for v in values if v is not None]
    if min_span is not None and seen:
        # Zoom in on the data (shape matters in a sparkline), but not below min_span.
        centre = (min(seen) + max(seen)) / 2
        half = max((max(seen) - min(seen)) / 2, min_span / 2)
        low, high = max(low, centre - half), min(high, centre + half)
    pad = 3
    n = len(values)

    def fx(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def fy(v: float) -> float:
        v = max(low, min(high, v))
        return pad + (height - 2 * pad) * (1 - (v - low) / (high - low or 1))

    stroke = _FILL.get(tone, LINE)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
    ]
    segment: list[str] = []
    runs: list[list[str]] = []
    for i, v in enumerate(values):
        if v is None:
            if segment:
                runs.append(segment)
            segment = []
        else:
            segment.append(f"{_num(fx(i))},{_num(fy(v))}")
    if segment:
        runs.append(segment)
    for run in runs:
        if len(run) == 1:
            x, y = run[0].split(",")
            out.append(f'<circle cx="{x}" cy="{y}" r="1.8" fill="{stroke}"/>')
        else:
            out.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{stroke}" '
                f'stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round"/>'
            )
    last = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None), None)
    if last is not None:
        out.append(
            f'<circle cx="{_num(fx(last[0]))}" cy="{_num(fy(last[1]))}" r="2.4" fill="{stroke}"/>'
        )
    out.append("</svg>")
    return "".join(out)
