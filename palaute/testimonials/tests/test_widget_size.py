"""The testimonial widget's budget: script and style sheet together ≤ 15 KB gzipped, and
nothing that a strict Content-Security-Policy would refuse, nor cookies."""

import gzip
from pathlib import Path

import pytest

from palaute.channels.tests.test_widget_size import code_only

STATIC = Path(__file__).resolve().parent.parent / "static" / "testimonials"
BUDGET = 15_000  # bytes after gzip -9, script and CSS together


def test_widget_with_its_css_fits_15_kb_gzipped():
    sizes = {}
    for name in ("widget.js", "widget.css"):
        raw = (STATIC / name).read_bytes()
        sizes[name] = (len(raw), len(gzip.compress(raw, compresslevel=9)))
    total = sum(packed for _raw, packed in sizes.values())
    print(f"testimonial widget: {sizes}, {total:,} bytes gzipped (budget {BUDGET:,})")
    assert total <= BUDGET


@pytest.mark.parametrize(
    "banned",
    [
        "eval(",
        "new Function",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        ".style.",
        'setAttribute("style"',
        "cookie",
        "localStorage",
        'credentials: "include"',
    ],
)
def test_no_eval_inline_style_html_strings_or_storage(banned):
    assert banned not in code_only((STATIC / "widget.js").read_text())


def test_the_css_has_no_imports_or_outside_urls():
    css = (STATIC / "widget.css").read_text()
    assert "@import" not in css and "url(" not in css
