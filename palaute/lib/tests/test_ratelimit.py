import pytest
from django.core.cache import cache

from palaute.lib.ratelimit import Limit, hit


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def test_parse_limits():
    assert Limit.parse("600/min") == Limit(600, 60)
    assert Limit.parse("20/s") == Limit(20, 1)
    assert Limit.parse("5/10s") == Limit(5, 10)
    assert Limit.parse("1000/hour") == Limit(1000, 3600)
    with pytest.raises(ValueError, match="600/min"):
        Limit.parse("lots")


def test_allows_up_to_the_limit_then_says_when_to_retry():
    limit = Limit(3, 60)
    assert [hit("ip:1", limit, now=120.0) for _ in range(3)] == [0, 0, 0]
    assert hit("ip:1", limit, now=150.0) == 30
    # Another bucket is counted separately, and the next window starts afresh.
    assert hit("ip:2", limit, now=150.0) == 0
    assert hit("ip:1", limit, now=180.0) == 0
