"""Pure display helpers: highlighting, theme names, heat colours and the SVG charts."""

import datetime as dt

from palaute.insights.drivers import Driver, DriverResult, Effect, Interval
from palaute.text.charts import driver_matrix_svg, theme_months_svg
from palaute.text.highlight import marks_for, pieces
from palaute.text.lexicon import THEME_KEYS
from palaute.text.names import BUILTIN_DESCRIPTIONS, BUILTIN_NAMES
from palaute.text.trends import Tally, heat_class


def test_highlight_marks_every_evidence_word_and_keeps_the_text():
    text = "Jono oli pitkä, mutta Kahvi oli HYVÄÄ. Jono!"
    marks = marks_for(
        [
            {"score": -0.4, "evidence": ["jono"]},
            {"score": 0.6, "evidence": ["hyvää"]},
            {"score": 0.0, "evidence": ["oli"]},
        ],
        [("Schedules", ["jono"]), ("Product quality", ["kahvi"]), ("Staff", ["jono"])],
    )
    got = pieces(text, marks)
    assert "".join(p.text for p in got) == text
    marked = [(p.text, p.mark.kind, p.mark.title) for p in got if p.mark]
    assert marked == [
        ("Jono", "theme", "Schedules, Staff"),  # a theme word wins over an opinion word
        ("Kahvi", "theme", "Product quality"),
        ("HYVÄÄ", "positive", "positive"),
        ("Jono", "theme", "Schedules, Staff"),
    ]
    assert pieces("ei mitään", {})[0].text == "ei mitään"


def test_every_builtin_theme_has_a_name_and_description():
    assert set(BUILTIN_NAMES) == set(THEME_KEYS) == set(BUILTIN_DESCRIPTIONS)


def test_heat_class_steps():
    assert [heat_class(v) for v in (-80, -30, -10, 0, 10, 30, 80, None)] == [
        "heat-n3",
        "heat-n2",
        "heat-n1",
        "heat-0",
        "heat-p1",
        "heat-p2",
        "heat-p3",
        "heat-none",
    ]
    tally = Tally(positive=1, negative=3, mixed=1)
    assert tally.n == 5 and tally.net == -40 and tally.share_negative == 80


def test_charts_escape_names_and_link_to_the_comments():
    months = [(dt.date(2026, 6, 1), Tally(negative=3, positive=1)), (dt.date(2026, 7, 1), Tally())]
    bars = theme_months_svg("<b>Jono</b>", months, lambda m: f"/comments/?from={m}&x=1")
    assert "<b>" not in bars and "&lt;b&gt;Jono" in bars
    assert bars.count("<a ") == 1 and "&amp;x=1" in bars  # the empty month has no link
    share = Interval(60, 50, 70)
    driver = Driver("theme:q", "theme", "q", 80, 20.0, share, quadrant="fix_first")
    driver.effects.append(
        Effect("negative", 80, Interval(-20, -25, -15), Interval(-18, -22, -12), share)
    )
    result = DriverResult("nps", "nps", 500, False, Interval(0.2, 0.1, 0.3), [driver], [])
    svg = driver_matrix_svg(result, {"theme:q": "Jonot & <odotus>"}, lambda d: "/c/?t=q")
    assert "Jonot &amp; &lt;odotus&gt;" in svg and "<odotus>" not in svg
    assert 'role="img"' in svg and "<title" in svg and 'href="/c/?t=q"' in svg
