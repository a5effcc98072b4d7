"""Properties of the interval estimates (hypothesis) and known values from the literature."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palaute.lib import stats

counts = st.integers(min_value=0, max_value=5000)


@given(counts, counts, counts)
def test_nps_bounds_and_interval_contains_estimate(p, a, d):
    est = stats.nps(p, a, d)
    if p + a + d == 0:
        assert est.value is None and est.n == 0
        return
    assert -100 <= est.low <= est.value <= est.high <= 100
    assert est.n == p + a + d


@given(counts, counts, counts)
def test_nps_symmetry(p, a, d):
    """Swapping promoters and detractors mirrors the score and its interval."""
    est, mirrored = stats.nps(p, a, d), stats.nps(d, a, p)
    if est.value is None:
        return
    assert mirrored.value == pytest.approx(-est.value)
    assert mirrored.low == pytest.approx(-est.high)
    assert mirrored.high == pytest.approx(-est.low)


@given(st.integers(1, 50), st.integers(0, 50), st.integers(0, 50), st.integers(2, 20))
def test_nps_interval_narrows_with_n(p, a, d, factor):
    small, large = stats.nps(p, a, d), stats.nps(p * factor, a * factor, d * factor)
    assert large.high - large.low <= small.high - small.low + 1e-9


def test_nps_adjusted_wald_known_value():
    # 50 promoters, 30 passives, 20 detractors: NPS 30; adjusted Wald (Rocks 2016) by hand:
    # n'=103, p'=50.75/103, d'=20.75/103.
    est = stats.nps(50, 30, 20)
    n_adj, p_adj, d_adj = 103, 50.75 / 103, 20.75 / 103
    centre = p_adj - d_adj
    se = math.sqrt((p_adj + d_adj - centre**2) / n_adj)
    assert est.value == pytest.approx(30.0)
    assert est.low == pytest.approx(100 * (centre - stats.Z95 * se))
    assert est.high == pytest.approx(100 * (centre + stats.Z95 * se))


def test_nps_single_extreme_answer_interval_still_contains_value():
    est = stats.nps(1, 0, 0)
    assert est.value == 100 and est.high == 100 and est.low < 0


@given(st.integers(0, 10000), st.integers(0, 10000))
def test_wilson_bounds(k, extra):
    n = k + extra
    est = stats.wilson(k, n)
    if n == 0:
        assert est.value is None
        return
    assert 0 <= est.low <= est.value <= est.high <= 100


def test_wilson_known_value():
    # 8 of 10: Wilson 95 % interval 0.490–0.943.
    est = stats.wilson(8, 10)
    assert est.low == pytest.approx(49.02, abs=0.01)
    assert est.high == pytest.approx(94.33, abs=0.01)


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        stats.wilson(5, 3)


histograms = st.dictionaries(st.integers(1, 7), st.integers(0, 500), min_size=1)


@given(histograms)
def test_mean_interval_within_scale_and_contains_mean(hist):
    est = stats.mean_t(hist, 1, 7)
    if sum(hist.values()) == 0:
        assert est.value is None
        return
    assert 1 <= est.low <= est.value <= est.high <= 7


@given(histograms, st.integers(2, 10))
def test_mean_interval_narrows_with_n(hist, factor):
    if sum(hist.values()) < 2:
        return
    small = stats.mean_t(hist, 1, 7)
    large = stats.mean_t({s: c * factor for s, c in hist.items()}, 1, 7)
    assert large.high - large.low <= small.high - small.low + 1e-9


def test_mean_t_known_value():
    # Scores 1,2,3,4,5: mean 3, sd 1.5811, t(0.975, 4) = 2.7764 -> 3 ± 1.9632
    est = stats.mean_t({1: 1, 2: 1, 3: 1, 4: 1, 5: 1}, 1, 5)
    assert est.value == pytest.approx(3.0)
    assert est.high - est.value == pytest.approx(1.9632, abs=1e-3)


@given(st.dictionaries(st.integers(1, 4), st.integers(0, 500), min_size=1))
def test_smiley_index_bounds(hist):
    est = stats.smiley_index(hist)
    if sum(hist.values()) == 0:
        return
    assert 0 <= est.low <= est.value <= est.high <= 100


def test_smiley_index_faces():
    assert stats.smiley_index({4: 10}).value == pytest.approx(100)
    assert stats.smiley_index({1: 10}).value == pytest.approx(0)
    assert stats.smiley_index({2: 1, 3: 1}).value == pytest.approx(50)


def test_change_is_real():
    before, after = stats.nps(300, 400, 300), stats.nps(500, 300, 200)
    assert stats.change_is_real(before, after)
    assert not stats.change_is_real(stats.nps(5, 4, 3), stats.nps(6, 3, 3))
    assert not stats.change_is_real(stats.EMPTY, after)
