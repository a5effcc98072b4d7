"""The widget's size budgets (BRIEF §8): loader ≤ 2 KB and renderer ≤ 20 KB, gzipped."""

import gzip
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static" / "channels"
BUDGETS = {  # bytes after gzip -9 (what WhiteNoise serves compressed)
    "widget.js": 2_000,
    "widget-app.js": 20_000,
    "widget.css": 4_000,  # no budget in the brief; kept small so it loads with the button
}


@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_widget_files_fit_their_gzip_budget(name):
    raw = (STATIC / name).read_bytes()
    packed = len(gzip.compress(raw, compresslevel=9))
    print(f"{name}: {len(raw):,} bytes, {packed:,} gzipped (budget {BUDGETS[name]:,})")
    assert packed <= BUDGETS[name]


def test_loader_fetches_the_renderer_only_when_triggered():
    """The loader carries no renderer code: it names widget-app.js and loads it on demand."""
    loader = code_only((STATIC / "widget.js").read_text())
    assert 'url("widget-app.js")' in loader
    assert "function build(" not in loader  # no question rendering in the loader


@pytest.mark.parametrize("name", ["widget.js", "widget-app.js"])
def test_no_eval_inline_style_or_html_strings(name):
    source = code_only((STATIC / name).read_text())
    for banned in (
        "eval(",
        "new Function",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        ".style.",
        'setAttribute("style"',
        "cookie",
    ):
        assert banned not in source, f"{name} uses {banned}"


def code_only(source: str) -> str:
    """The JavaScript without its comments (they may name what the code avoids)."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r"(?m)(^|\s)//.*$", "", source)
