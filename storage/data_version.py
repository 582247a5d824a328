"""A cheap version of the store's scored data, for caches of aggregates over it
(``console.cache``): it moves whenever a call is added, removed or (re)analysed, or a QA
review is written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.schema import Call, QAReview


def data_version(session: Session) -> tuple[Any, ...]:
    """(what counts the calls, the latest ``processed_at``, the latest QA review id)."""
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
