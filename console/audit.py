"""The audit log (policy §6.2): every look at a transcript or a recording, every review,
every sign-in is written, in the same transaction as the work it records."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.permissions import Principal
from storage.schema import AuditEntry

PAGE = 100


def record(
    session: Session,
    who: Principal | str,
    action: str,
    target: str,
    *,
    detail: str | None = None,
    client: str | None = None,
) -> None:
    from storage.results import utcnow

    username = who.username if isinstance(who, Principal) else who
    session.add(
        AuditEntry(
            at=utcnow(),
            username=username[:64],
            action=action,
            target=target[:1024],
            detail=detail,
            client=(client or "")[:128] or None,
        )
    )


def entries(
    session: Session,
    *,
    username: str | None = None,
    action: str | None = None,
    target: str | None = None,
    page: int = 1,
) -> tuple[list[AuditEntry], int]:
    """Newest first, ``PAGE`` at a time, with the number of entries that match."""
    query = select(AuditEntry)
    if username:
        query = query.where(AuditEntry.username == username)
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((max(page, 1) - 1) * PAGE).limit(PAGE)
    )
    return list(rows), total
