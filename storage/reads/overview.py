"""The whole store's calls worst first, with their failed rules and flags: what the demo
prints after a batch (a QA lead's first look, without the console)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.reads.queue import WORST_FIRST
from storage.schema import Call, CallScorecard, RuleOutcome


@dataclass(frozen=True)
class CallOverview:
    call_id: str
    agent_id: str | None
    started_at: datetime | None
    score: float
    flagged: bool
    failed_rules: tuple[str, ...]
    flags: tuple[str, ...]


def worst_first(session: Session) -> list[CallOverview]:
    """Every call in the review queue's order (critical failures first, then flagged,
    then the lowest scores)."""
    calls = session.scalars(select(Call).order_by(*WORST_FIRST)).all()
    failed: dict[str, list[str]] = {}
    for r in session.scalars(select(RuleOutcome).where(RuleOutcome.outcome == "failed")):
        failed.setdefault(r.call_id, []).append(r.rule_id)
    flags = {c.call_id: c.flags for c in session.scalars(select(CallScorecard))}
    return [
        CallOverview(
            call_id=call.id,
            agent_id=call.agent_id,
            started_at=call.started_at,
            score=call.score,
            flagged=call.flagged,
            failed_rules=tuple(sorted(failed.get(call.id, []))),
            flags=tuple(str(f) for f in flags.get(call.id) or []),
        )
        for call in calls
    ]
