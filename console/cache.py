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

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.schema import Call, QAReview

T = TypeVar("T")


def data_version(session: Session) -> tuple[Any, ...]:
    processed = session.scalar(select(func.max(Call.processed_at)))
    review = session.scalar(select(func.max(QAReview.id)))
    return (_calls_written(session), processed, review)


def _calls_written(session: Session) -> Any:
    """What moves when calls are added or removed. Counting ten million calls takes most of a
    second on PostgreSQL, so there it is the server's running count of rows inserted and
    deleted in ``calls`` (visible to other sessions within a second or so of the commit);
    elsewhere the count itself."""
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(
            text(
                "SELECT n_tup_ins, n_tup_del FROM pg_stat_user_tables"
                " WHERE relid = 'calls'::regclass"
            )
        ).one_or_none()
    return session.scalar(select(func.count(Call.id)))


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
