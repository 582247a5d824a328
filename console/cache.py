"""A small cache for compliance aggregates, valid while the store's data is unchanged.

Adherence over a year of calls reads every rule outcome (a million rows at 100,000 calls):
seconds on SQLite. The result only changes when a call is (re)analysed or reviewed, so it
is kept, keyed by the query and a cheap data version: the number of calls, the latest
``processed_at`` and the latest QA review id. Any new call, re-analysis or review moves the
version and the next view recomputes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from storage.data_version import data_version
from storage.database import Session

T = TypeVar("T")


class AggregateCache:
    """Least-recently-used results by (key, data version); thread-safe."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[tuple[Any, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
        version = data_version(session)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == version:
                self._items.move_to_end(key)
                return hit[1]
        value = compute()
        with self._lock:
            self._items[key] = (version, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value
