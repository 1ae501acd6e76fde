"""A bounded map that forgets the least recently used entry: the hub's one LRU.

The person registry keeps identifier bindings in three of them
(:mod:`hub.intake.identity.bindings`), the agencies' consumer library its recently seen
event ids and its parsed batch manifests (:mod:`hub.deliver.consumer`). Each caller
names its own capacity with the reason for it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """``get`` refreshes an entry, ``put`` adds one and evicts the least recently used."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        try:
            value = self._data[key]
        except KeyError:
            return None
        self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is cached, without refreshing it."""
        return key in self._data
