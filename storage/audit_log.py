"""The store's audit log (``audit_log``): entries appended in the caller's transaction, and
read back newest first, filtered by user, action and target. What is audited, and when, is
the console's (``console.audit``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage.schema import AuditEntry


def append(
    session: Session,
    *,
    at: datetime,
    username: str,
    action: str,
    target: str,
    detail: str | None = None,
    client: str | None = None,
) -> None:
    """Adds an entry; names, targets and addresses longer than their columns are cut."""
    session.add(
        AuditEntry(
            at=at,
            username=username[:64],
            action=action,
            target=target[:1024],
            detail=detail,
            client=(client or "")[:128] or None,
        )
    )


def _matching(username: str | None, action: str | None, target: str | None) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if username:
        query = query.where(AuditEntry.username == username)
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    return query


def count_entries(
    session: Session,
    *,
    username: str | None = None,
    action: str | None = None,
    target: str | None = None,
) -> int:
    """How many entries match (an empty or None filter matches every entry)."""
    query = _matching(username, action, target)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def newest_entries(
    session: Session,
    *,
    username: str | None = None,
    action: str | None = None,
    target: str | None = None,
    offset: int = 0,
    limit: int,
) -> list[AuditEntry]:
    """The matching entries, newest first, ``limit`` of them after skipping ``offset``."""
    query = _matching(username, action, target)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)))
