"""Failed sign-ins counted per account (``user:NAME``) and per client address
(``addr:IP``) in the store's ``sign_in_throttle`` table, so that several console workers
share one count. Enough failures within the window lock the key for a while; a locked key
is refused before any password is checked.

Only existing accounts get a ``user:`` key: a name that is no account may be a password
typed into the wrong field, and must not be written down. Such attempts count against the
address alone.

The counting is done in the store (``storage.sign_in_throttle``) with conditional UPDATEs
rather than read-modify-write, so parallel failures are all counted and exactly one of them
writes the lockout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import sign_in_throttle as stored
from storage.database import Session


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
    return stored.locked_until(session, keys, now)


def record_failure(
    session: Session, key: str, rules: ThrottleRules, now: datetime
) -> datetime | None:
    """Counts one failure against ``key``; if that reaches the limit, locks the key and
    returns until when (to this caller only: a parallel failure gets None)."""
    stored.count_failure(session, key, now, now - timedelta(seconds=rules.window_seconds))
    until = now + timedelta(seconds=rules.lockout_seconds)
    return until if stored.lock_if_reached(session, key, rules.limit(key), now, until) else None


def clear(session: Session, key: str) -> None:
    """Sets the failure count of ``key`` back to 0 after a successful sign-in; a lockout
    that a parallel attempt has just written stays."""
    stored.reset_failures(session, key)


def forget(session: Session, key: str) -> None:
    """Removes the count and any lockout of ``key`` (an account that was removed)."""
    stored.forget_key(session, key)
