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

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from storage.schema import ConsoleSession, User

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
    session.add(
        ConsoleSession(
            token_hash=token_hash(token),
            username=user.username,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=rules.lifetime_seconds),
            client=(client or "")[:128] or None,
        )
    )
    session.execute(
        delete(ConsoleSession)
        .where(ConsoleSession.expires_at < now - KEEP_ENDED)
        .execution_options(synchronize_session=False)
    )
    return token


def user_of(session: Session, token: str | None, rules: SessionRules, now: datetime) -> User | None:
    """The active account whose live session ``token`` opens, or None. Marks the session
    seen, at most every ``rules.touch_seconds``: a write per request would serialise
    every page view on SQLite."""
    if not token or len(token) > 128:
        return None
    row = session.get(ConsoleSession, token_hash(token))
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at >= timedelta(seconds=rules.idle_seconds):
        return None
    user = session.get(User, row.username)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= timedelta(seconds=rules.touch_seconds):
        row.last_seen_at = now
    return user


def end_session(session: Session, token: str | None, now: datetime) -> str | None:
    """Ends the session ``token`` opens; returns its user name, or None if none was live."""
    if not token or len(token) > 128:
        return None
    row = session.get(ConsoleSession, token_hash(token))
    if row is None or row.ended_at is not None:
        return None
    row.ended_at = now
    return row.username


def end_sessions_of(session: Session, username: str, now: datetime) -> int:
    """Ends every live session of ``username``; returns how many there were."""
    ended = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.username == username, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(ended.rowcount)  # type: ignore[attr-defined]


def forget_sessions_of(session: Session, username: str) -> None:
    """Deletes the rows of ``username``'s sessions (its account is being removed)."""
    session.execute(
        delete(ConsoleSession)
        .where(ConsoleSession.username == username)
        .execution_options(synchronize_session=False)
    )
