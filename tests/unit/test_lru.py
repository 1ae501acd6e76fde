"""hub.lru.LruCache: the least recently used entry goes first; a read refreshes, a peek not."""

from __future__ import annotations

from hub.lru import LruCache


def test_the_least_recently_used_goes_first() -> None:
    cache = LruCache[str, int](2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert (cache.get("b"), cache.get("a"), cache.get("c"), len(cache)) == (None, 1, 3, 2)


def test_contains_does_not_refresh_and_pop_forgets() -> None:
    cache = LruCache[str, int](2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert "a" in cache
    cache.put("c", 3)
    assert "a" not in cache and "b" in cache
    cache.pop("b")
    cache.pop("missing")
    assert "b" not in cache and len(cache) == 1
