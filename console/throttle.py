"""Failed sign-ins counted per account (``user:NAME``) and per client address
(``addr:IP``) in the store's ``sign_in_throttle`` table, so that several console workers
share one count. Enough failures within the window lock the key for a while; a locked key
is refused before any password is checked.

Only existing accounts get a ``user:`` key: a name that is no account may be a password
typed into the wrong field, and must not be written down. Such attempts count against the
address alone.

The counting is done with conditional UPDATEs rather than read-modify-write, so parallel
failures are all counted and exactly one of them writes the lockout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.schema import SignInThrottle


@dataclass(frozen=True)
class ThrottleRules:
    """How many failures within ``window_seconds`` lock an account or an address, and for
    how long. An address gets more: several people may sign in from behind one NAT."""

    account_failures: int = 5
    address_failures: int = 20
    window_seconds: int = 15 * 60
    lockout_seconds: int = 15 * 60

    def limit(self, key: str) -> int:
        return self.account_failures if key.startswith("user:") else self.address_failures


def account_key(username: str) -> str:
    return f"user:{username}"


def address_key(address: str) -> str:
    return f"addr:{address}"


def locked_until(session: Session, keys: list[str], now: datetime) -> datetime | None:
    """The latest time until which any of ``keys`` is locked, or None if none is."""
    return session.scalar(
        select(SignInThrottle.locked_until)
        .where(SignInThrottle.key.in_(keys), SignInThrottle.locked_until > now)
        .order_by(SignInThrottle.locked_until.desc())
        .limit(1)
    )


def record_failure(
    session: Session, key: str, rules: ThrottleRules, now: datetime
) -> datetime | None:
    """Counts one failure against ``key``; if that reaches the limit, locks the key and
    returns until when (to this caller only: a parallel failure gets None)."""
    window_began = now - timedelta(seconds=rules.window_seconds)
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
    if counted.rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(SignInThrottle(key=key, failures=1, window_start=now))
        except IntegrityError:  # a parallel failure inserted it first: count on that row
            return record_failure(session, key, rules, now)
    until = now + timedelta(seconds=rules.lockout_seconds)
    locked = session.execute(
        update(SignInThrottle)
        .where(
            SignInThrottle.key == key,
            SignInThrottle.failures >= rules.limit(key),
            (SignInThrottle.locked_until.is_(None)) | (SignInThrottle.locked_until <= now),
        )
        # the count starts again, so the first failure after the lockout does not relock
        .values(locked_until=until, failures=0, window_start=now)
        .execution_options(synchronize_session=False)
    )
    return until if locked.rowcount else None  # type: ignore[attr-defined]


def clear(session: Session, key: str) -> None:
    """Sets the failure count of ``key`` back to 0 after a successful sign-in; a lockout
    that a parallel attempt has just written stays."""
    session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key == key)
        .values(failures=0)
        .execution_options(synchronize_session=False)
    )


def forget(session: Session, key: str) -> None:
    """Removes the count and any lockout of ``key`` (an account that was removed)."""
    session.execute(
        delete(SignInThrottle)
        .where(SignInThrottle.key == key)
        .execution_options(synchronize_session=False)
    )
