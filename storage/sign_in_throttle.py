"""Failed sign-ins per key in the store's ``sign_in_throttle`` table, shared by every
console worker. The limits, windows and key names are the console's (``console.throttle``);
the counting is written here as conditional UPDATEs rather than read-modify-write, so that
parallel failures are all counted and exactly one of them writes the lockout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.schema import SignInThrottle


def locked_until(session: Session, keys: list[str], now: datetime) -> datetime | None:
    """The latest time until which any of ``keys`` is locked, or None if none is."""
    return session.scalar(
        select(SignInThrottle.locked_until)
        .where(SignInThrottle.key.in_(keys), SignInThrottle.locked_until > now)
        .order_by(SignInThrottle.locked_until.desc())
        .limit(1)
    )


def count_failure(session: Session, key: str, now: datetime, window_began: datetime) -> None:
    """Adds one failure to ``key``'s count; a count whose window began before
    ``window_began`` starts again at 1 from ``now``."""
    while True:
        stale = SignInThrottle.window_start < window_began
        counted = session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key == key)
            .values(
                failures=case((stale, 1), else_=SignInThrottle.failures + 1),
                window_start=case((stale, now), else_=SignInThrottle.window_start),
            )
            .execution_options(synchronize_session=False)
        )
        if counted.rowcount:  # type: ignore[attr-defined]
            return
        try:
            with session.begin_nested():
                session.add(SignInThrottle(key=key, failures=1, window_start=now))
            return
        except IntegrityError:  # a parallel failure inserted it first: count on that row
            continue


def lock_if_reached(session: Session, key: str, limit: int, now: datetime, until: datetime) -> bool:
    """Locks ``key`` until ``until`` if its count has reached ``limit`` and it is not
    locked already; True to the one caller whose write locked it."""
    locked = session.execute(
        update(SignInThrottle)
        .where(
            SignInThrottle.key == key,
            SignInThrottle.failures >= limit,
            (SignInThrottle.locked_until.is_(None)) | (SignInThrottle.locked_until <= now),
        )
        # the count starts again, so the first failure after the lockout does not relock
        .values(locked_until=until, failures=0, window_start=now)
        .execution_options(synchronize_session=False)
    )
    return bool(locked.rowcount)  # type: ignore[attr-defined]


def reset_failures(session: Session, key: str) -> None:
    """Sets ``key``'s failure count back to 0; a lockout already written stays."""
    session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key == key)
        .values(failures=0)
        .execution_options(synchronize_session=False)
    )


def forget_key(session: Session, key: str) -> None:
    """Removes the count and any lockout of ``key``."""
    session.execute(
        delete(SignInThrottle)
        .where(SignInThrottle.key == key)
        .execution_options(synchronize_session=False)
    )
