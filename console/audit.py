"""The audit log (policy §6.2): every look at a transcript, at rule evidence or at a
recording, every transcript search, every review, every sign-in is written, in the same
transaction as the work it records."""

from __future__ import annotations

from dataclasses import dataclass

from console.permissions import Principal
from storage import audit_log
from storage.database import Session
from storage.schema import AuditEntry

PAGE = 100
# The actions the console writes, offered by the audit page's filter (which takes any).
ACTIONS = (
    "view_call",
    "view_transcript",
    "play_audio",
    "view_evidence",
    "view_live",
    "stream_live",
    "search_transcripts",
    "qa_review",
    "training_case",
    "training_case_off",
    "escalate",
    "export_compliance",
    "sign_in",
    "sign_in_failed",
    "sign_in_locked",
    "sign_out",
    "denied",
)


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
    audit_log.append(
        session,
        at=utcnow(),
        username=username,
        action=action,
        target=target,
        detail=detail,
        client=client,
    )


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditEntry]
    total: int
    page: int  # the page shown: the one asked for, within 1 and the last page
    pages: int


def entries(
    session: Session,
    *,
    username: str | None = None,
    action: str | None = None,
    target: str | None = None,
    page: int = 1,
) -> AuditPage:
    """Newest first, ``PAGE`` at a time, with the number of entries that match. A page past
    the last shows the last (a page number is never handed to the database unbounded)."""
    total = audit_log.count_entries(session, username=username, action=action, target=target)
    pages = max(1, -(-total // PAGE))
    page = min(max(page, 1), pages)
    rows = audit_log.newest_entries(
        session,
        username=username,
        action=action,
        target=target,
        offset=(page - 1) * PAGE,
        limit=PAGE,
    )
    return AuditPage(rows, total, page, pages)
