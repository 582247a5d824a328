"""Server-side console sessions in the store's ``console_sessions`` table.

The cookie carries only a random token (``secrets.token_urlsafe``, 256 bits); the table
keys on its SHA-256, so a copy of the table gives no usable cookie. A session ends when
its user signs out (``ended_at``), when the account is disabled, removed or its password
changed, after ``idle_seconds`` without a request, and ``lifetime_seconds`` after sign-in
whatever happens. An ended session never comes back: re-enabling an account does not
revive its old cookies.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import console_sessions as stored
from storage.accounts import find_user
from storage.database import Session
from storage.schema import User

# Ended or expired sessions are kept this long (who was signed in from where), then purged.
KEEP_ENDED = timedelta(days=30)


@dataclass(frozen=True)
class SessionRules:
    """How long a session lasts: ``idle_seconds`` without a request ends it, and it never
    outlives ``lifetime_seconds`` (one shift). ``last_seen_at`` is written at most every
    ``touch_seconds``, not on every request."""

    idle_seconds: int = 30 * 60
    lifetime_seconds: int = 8 * 3600
    touch_seconds: int = 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", errors="replace")).hexdigest()


def open_session(
    session: Session, user: User, rules: SessionRules, now: datetime, client: str | None
) -> str:
    """Starts a session for ``user`` and returns its token (for the cookie only)."""
    token = secrets.token_urlsafe(32)
    stored.add_session(
        session,
        token_hash=token_hash(token),
        username=user.username,
        created_at=now,
        expires_at=now + timedelta(seconds=rules.lifetime_seconds),
        client=client,
    )
    stored.purge_expired_before(session, now - KEEP_ENDED)
    return token


def user_of(session: Session, token: str | None, rules: SessionRules, now: datetime) -> User | None:
    """The active account whose live session ``token`` opens, or None. Marks the session
    seen, at most every ``rules.touch_seconds``: a write per request would serialise
    every page view on SQLite."""
    if not token or len(token) > 128:
        return None
    row = stored.find_session(session, token_hash(token))
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at >= timedelta(seconds=rules.idle_seconds):
        return None
    user = find_user(session, row.username)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= timedelta(seconds=rules.touch_seconds):
        stored.mark_seen(row, now)
    return user


def end_session(session: Session, token: str | None, now: datetime) -> str | None:
    """Ends the session ``token`` opens; returns its user name, or None if none was live."""
    if not token or len(token) > 128:
        return None
    row = stored.find_session(session, token_hash(token))
    if row is None or row.ended_at is not None:
        return None
    stored.mark_ended(row, now)
    return row.username


def end_sessions_of(session: Session, username: str, now: datetime) -> int:
    """Ends every live session of ``username``; returns how many there were."""
    return stored.end_sessions_of(session, username, now)


def forget_sessions_of(session: Session, username: str) -> None:
    """Deletes the rows of ``username``'s sessions (its account is being removed)."""
    stored.delete_sessions_of(session, username)
