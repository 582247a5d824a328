"""Signed-in console sessions in the store's ``console_sessions`` table, keyed by the
SHA-256 of their token. When a session ends or expires is the console's decision
(``console.sessions``); the rows are read and written here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from storage.schema import ConsoleSession


def add_session(
    session: Session,
    *,
    token_hash: str,
    username: str,
    created_at: datetime,
    expires_at: datetime,
    client: str | None,
) -> None:
    session.add(
        ConsoleSession(
            token_hash=token_hash,
            username=username,
            created_at=created_at,
            last_seen_at=created_at,
            expires_at=expires_at,
            client=(client or "")[:128] or None,
        )
    )


def purge_expired_before(session: Session, cutoff: datetime) -> None:
    """Deletes the sessions that expired before ``cutoff``."""
    session.execute(
        delete(ConsoleSession)
        .where(ConsoleSession.expires_at < cutoff)
        .execution_options(synchronize_session=False)
    )


def find_session(session: Session, token_hash: str) -> ConsoleSession | None:
    return session.get(ConsoleSession, token_hash)


def mark_seen(row: ConsoleSession, now: datetime) -> None:
    row.last_seen_at = now


def mark_ended(row: ConsoleSession, now: datetime) -> None:
    row.ended_at = now


def end_sessions_of(session: Session, username: str, now: datetime) -> int:
    """Ends every live session of ``username``; returns how many there were."""
    ended = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.username == username, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(ended.rowcount)  # type: ignore[attr-defined]


def delete_sessions_of(session: Session, username: str) -> None:
    session.execute(
        delete(ConsoleSession)
        .where(ConsoleSession.username == username)
        .execution_options(synchronize_session=False)
    )
