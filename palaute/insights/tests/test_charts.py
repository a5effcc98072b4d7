"""The SVG charts are accessible, escape their text and draw what the numbers say."""

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from django.utils import translation

from palaute.insights import charts
from palaute.insights.metrics import summarise
from palaute.lib.stats import Estimate

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def english():
    """The assertions read the English chart texts (the default UI language is Finnish)."""
    with translation.override("en"):
        yield


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, so every text was escaped
    assert root.get("role") == "img"
    return root


def bars(root):
    return [r for r in root.iter(f"{NS}rect") if r.get("aria-hidden") != "true"]


def test_nps_distribution_has_every_point_and_colours_by_meaning():
    s = summarise("nps", {0: 1, 6: 2, 7: 3, 9: 4, 10: 10})
    root = parse(charts.distribution_svg(s.distribution, "nps"))
    assert root.find(f"{NS}title").text == "Distribution of answers, n = 20"
    labels = [t.text for t in root.iter(f"{NS}text")]
    for score in range(11):
        assert str(score) in labels
    assert "50 %" in labels and "10" in labels  # percent and count of score 10
    fills = {r.get("fill") for r in bars(root)}
    assert fills == {charts.BAD, charts.OK, charts.GOOD}
    desc = root.find(f"{NS}desc").text
    assert "10: 10 answers (50 %)" in desc and "5: 0 answers (0 %)" in desc


def test_ces_colours_are_reversed():
    assert charts.score_tone("ces", 1, (1, 7)) == "good"
    assert charts.score_tone("ces", 7, (1, 7)) == "bad"
    assert charts.score_tone("nps", 6, (0, 10)) == "bad"
    assert charts.score_tone("nps", 8, (0, 10)) == "ok"
    assert charts.score_tone("csat", 4, (1, 5)) == "good"
    assert charts.score_tone("rating", 1, (1, 5)) == "bad"
    assert charts.score_tone("rating", 5, (1, 5)) == "good"


def test_score_class_thresholds():
    assert charts.score_class(None) == "score-none"
    assert charts.score_class(0.8) == "score-good"
    assert charts.score_class(0.6) == "score-ok"
    assert charts.score_class(0.2) == "score-bad"


class Point:
    def __init__(self, start, hist, real=False):
        self.start = start
        self.summary = summarise("nps", hist, (0, 10))
        self.change_is_real = real


def test_trend_has_band_gap_and_real_change_marker():
    points = [
        Point(date(2026, 1, 1), {10: 8, 3: 2}),
        Point(date(2026, 2, 1), {10: 7, 3: 3}),
        Point(date(2026, 3, 1), {}),  # no data: a gap
        Point(date(2026, 4, 1), {10: 1, 3: 9}, real=True),
        Point(date(2026, 5, 1), {10: 2, 3: 8}),
    ]
    svg = charts.trend_svg(points, "nps", (0, 10))
    root = parse(svg)
    assert "95 % confidence interval" in root.find(f"{NS}title").text
    # two segments of two points each: two bands and two lines
    assert len(list(root.iter(f"{NS}polygon"))) == 2
    assert len(list(root.iter(f"{NS}polyline"))) == 2
    assert len(list(root.iter(f"{NS}circle"))) == 4
    markers = [p for p in root.iter(f"{NS}path") if p.get("class") == "real-change"]
    assert len(markers) == 1
    assert "◆" in root.find(f"{NS}desc").text
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "+100" in texts and "-100" in texts and "0" in texts  # y axis
    assert any(t and "2026" in t for t in texts)  # first x label carries the year


def test_trend_single_point_draws_interval_bar():
    svg = charts.trend_svg([Point(date(2026, 1, 1), {10: 3, 5: 1})], "nps", (0, 10))
    root = parse(svg)
    assert len(list(root.iter(f"{NS}circle"))) == 1
    assert not list(root.iter(f"{NS}polyline"))


def test_text_is_escaped():
    class Evil:
        start = date(2026, 1, 1)
        change_is_real = False
        summary = summarise("rating", {3: 2, 4: 2})

    object.__setattr__(Evil.summary, "label", "<script>alert(1)</script>")
    svg = charts.trend_svg([Evil()], "rating", (1, 5))
    assert "<script>" not in svg
    parse(svg)
    spark = charts.sparkline_svg([1.0, None, 2.0], (0, 5), 'a "quoted" <label>')
    assert "<label>" not in spark
    parse(spark)


def test_sparkline_gaps_and_zoom():
    root = parse(charts.sparkline_svg([10, 20, None, 30, 35], (-100, 100), "NPS", min_span=40))
    assert root.get("aria-label") == "NPS"
    assert len(list(root.iter(f"{NS}polyline"))) == 2
    ys = [float(y) for y in re.findall(r",([\d.]+)", root.find(f"{NS}polyline").get("points"))]
    assert max(ys) - min(ys) > 5  # zoomed in: a 10-point change is visible
    empty = parse(charts.sparkline_svg([None, None], (0, 100), "x"))
    assert not list(empty.iter(f"{NS}polyline"))


def test_estimate_without_interval_does_not_break_trend():
    class P:
        start = date(2026, 1, 1)
        change_is_real = False
        summary = summarise("rating", {4: 1})

    object.__setattr__(P.summary, "headline", Estimate(4.0, None, None, 1))
    parse(charts.trend_svg([P(), P()], "rating", (1, 5)))
