"""Inline SVG for the theme pages: monthly theme bars and the importance × performance matrix.

Pure functions over already aggregated numbers, like ``insights.charts``: no JavaScript, a
<title> and <desc> on every chart, every text escaped. Bars and points are links to the
verbatim explorer, so a click drills down to the comments behind a number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from html import escape

from django.utils import dateformat
from django.utils.translation import gettext as _

from palaute.insights.drivers import Driver, DriverResult
from palaute.text.trends import Tally

GOOD = "#1b7f3b"
BAD = "#b3261e"
NEUTRAL = "#8a94a3"
INK = "#1d2430"
MUTED = "#5a6473"
GRID = "#e3e7ec"
QUADRANT_FILL = {"fix_first": "#fdecea", "keep_up": "#e6f4ea", "low_priority": "#f4f5f7"}
QUADRANT_POINT = {"fix_first": BAD, "keep_up": GOOD, "low_priority": NEUTRAL, "strength": GOOD}


def _uid(*parts: object) -> str:
    return "tx" + hashlib.sha1(repr(parts).encode()).hexdigest()[:8]


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open(uid: str, width: int, height: int, title: str, desc: str, css: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{uid}-t {uid}-d" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
    )


def _text(x: float, y: float, text: str, size: int = 11, fill: str = INK, anchor: str = "middle"):
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}">{escape(text)}</text>'
    )


def theme_months_svg(
    name: str,
    months: Sequence[tuple[dt.date, Tally]],
    link: Callable[[dt.date], str] | None = None,
) -> str:
    """Mentions per month as bars, the negative (and mixed) part in red; each bar links to the
    explorer for that month when ``link`` is given."""
    slot, height, top, base_pad = 18, 64, 4, 16
    width = max(len(months), 1) * slot
    plot = height - top - base_pad
    peak = max((t.n for _m, t in months), default=0) or 1
    title = _("{theme}: mentions per month").format(theme=name)
    desc = "; ".join(
        _("{month}: {n} mentions, {negative} negative").format(
            month=dateformat.format(m, "M Y"), n=t.n, negative=t.negative + t.mixed
        )
        for m, t in months
    )
    out = [
        _open(
            _uid("tm", name, [(m, t.n) for m, t in months]),
            width,
            height,
            title,
            desc,
            "theme-bars",
        )
    ]
    base = top + plot
    for i, (month, tally) in enumerate(months):
        x = i * slot + 2
        h = plot * tally.n / peak
        bad = plot * (tally.negative + tally.mixed) / peak
        bar = (
            f'<rect x="{x}" y="{_num(base - h)}" width="{slot - 4}" height="{_num(max(h, 0.5))}" '
            f'fill="{NEUTRAL}" rx="1"/>'
            f'<rect x="{x}" y="{_num(base - bad)}" width="{slot - 4}" height="{_num(bad)}" '
            f'fill="{BAD}" rx="1"/>'
        )
        tip = _("{month}: {n} mentions, {negative} negative").format(
            month=dateformat.format(month, "M Y"), n=tally.n, negative=tally.negative + tally.mixed
        )
        bar = f"<g><title>{escape(tip)}</title>{bar}</g>"
        if link is not None and tally.n:
            bar = f'<a href="{escape(link(month))}">{bar}</a>'
        out.append(bar)
        if i == 0 or month.month == 1:
            out.append(_text(x, height - 3, dateformat.format(month, "M"), 9, MUTED, "start"))
    out.append("</svg>")
    return "".join(out)


def driver_matrix_svg(
    result: DriverResult,
    names: dict[str, str],
    link: Callable[[Driver], str] | None = None,
) -> str:
    """Importance (up) × performance (right) with quadrants split at the means. Points of
    unclear drivers (every effect interval includes 0) are hollow."""
    shown = [d for d in result.drivers if d.importance is not None and d.performance is not None]
    width, height = 640, 420
    left, right, top, bottom = 54, 20, 20, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    high = max([result.importance_mid * 2, *(d.importance.value for d in shown if d.importance)])
    high = max(10.0, min(100.0, high * 1.1))

    def fx(performance: float) -> float:
        return left + plot_w * max(0.0, min(100.0, performance)) / 100

    def fy(importance: float) -> float:
        return top + plot_h * (1 - max(0.0, min(high, importance)) / high)

    title = _("What to fix first: importance × performance")
    desc = "; ".join(
        _("{name}: importance {importance} %, performance {performance}").format(
            name=names.get(d.key, d.name),
            importance=f"{d.importance.value:.0f}" if d.importance else "–",
            performance=f"{d.performance:.0f}" if d.performance is not None else "–",
        )
        for d in shown
    )
    out = [
        _open(_uid("dm", desc), width, height, title, desc or _("No drivers"), "chart chart-matrix")
    ]
    mx, my = fx(result.performance_mid), fy(result.importance_mid)
    out.append(
        f'<rect x="{left}" y="{top}" width="{_num(mx - left)}" height="{_num(my - top)}" '
        f'fill="{QUADRANT_FILL["fix_first"]}"/>'
        f'<rect x="{_num(mx)}" y="{top}" width="{_num(left + plot_w - mx)}" '
        f'height="{_num(my - top)}" fill="{QUADRANT_FILL["keep_up"]}"/>'
        f'<rect x="{left}" y="{_num(my)}" width="{_num(plot_w)}" '
        f'height="{_num(top + plot_h - my)}" fill="{QUADRANT_FILL["low_priority"]}"/>'
    )
    out.append(
        f'<line x1="{_num(mx)}" y1="{top}" x2="{_num(mx)}" y2="{top + plot_h}" stroke="{MUTED}" '
        f'stroke-dasharray="4 3"/>'
        f'<line x1="{left}" y1="{_num(my)}" x2="{left + plot_w}" y2="{_num(my)}" stroke="{MUTED}" '
        f'stroke-dasharray="4 3"/>'
    )
    out.append(_text(left + 6, top + 14, _("Fix first"), 12, BAD, "start"))
    out.append(_text(left + plot_w - 6, top + 14, _("Keep up"), 12, GOOD, "end"))
    out.append(_text(left + 6, top + plot_h - 6, _("Low priority"), 11, MUTED, "start"))
    out.append(
        _text(left + plot_w - 6, top + plot_h - 6, _("Doing well, matters less"), 11, MUTED, "end")
    )
    for percent in (0, 25, 50, 75, 100):
        out.append(_text(fx(percent), top + plot_h + 14, str(percent), 10, MUTED))
    for tick in (0.0, high / 2, high):
        out.append(_text(left - 6, fy(tick) + 4, f"{tick:.0f} %", 10, MUTED, "end"))
    out.append(_text(left + plot_w / 2, height - 8, _("Performance (0–100)"), 11, INK))
    out.append(
        f'<text x="14" y="{_num(top + plot_h / 2)}" font-size="11" fill="{INK}" '
        f'text-anchor="middle" transform="rotate(-90 14 {_num(top + plot_h / 2)})">'
        f"{escape(_('Importance (% of explained variance)'))}</text>"
    )
    placed: list[tuple[float, float, float]] = []  # label boxes: left, right, baseline
    for d in shown:
        assert d.importance is not None and d.performance is not None
        x, y = fx(d.performance), fy(d.importance.value)
        label = names.get(d.key, d.name)
        right_side = x < left + plot_w * 0.75
        label_width = 6.2 * len(label)
        box_left = x + 9 if right_side else x - 9 - label_width
        text_y = _free_line(placed, box_left, box_left + label_width, y + 4)
        placed.append((box_left, box_left + label_width, text_y))
        colour = QUADRANT_POINT.get(d.quadrant, NEUTRAL)
        fill = colour if d.clear else "#fff"
        low, hi = fy(d.importance.low), fy(d.importance.high)
        point = (
            f'<line x1="{_num(x)}" y1="{_num(low)}" x2="{_num(x)}" y2="{_num(hi)}" '
            f'stroke="{colour}" stroke-width="1.5" opacity=".6"/>'
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="6" fill="{fill}" stroke="{colour}" '
            f'stroke-width="2"/>'
            + (
                _text(x + 9, text_y, label, 11, INK, "start")
                if right_side
                else _text(x - 9, text_y, label, 11, INK, "end")
            )
        )
        tip = _(
            "{name}: importance {importance} % ({low}–{high}), performance {performance}"
        ).format(
            name=label,
            importance=f"{d.importance.value:.0f}",
            low=f"{d.importance.low:.0f}",
            high=f"{d.importance.high:.0f}",
            performance=f"{d.performance:.0f}",
        )
        point = f"<g><title>{escape(tip)}</title>{point}</g>"
        if link is not None:
            point = f'<a href="{escape(link(d))}">{point}</a>'
        out.append(point)
    out.append("</svg>")
    return "".join(out)


def _free_line(placed: Sequence[tuple[float, float, float]], a: float, b: float, y: float) -> float:
    """A baseline near ``y`` where a label spanning ``a``–``b`` overlaps no placed label."""
    for shift in (0, 13, -13, 26, -26, 39):
        candidate = y + shift
        if all(b < pa or a > pb or abs(candidate - py) >= 12 for pa, pb, py in placed):
            return candidate
    return y
