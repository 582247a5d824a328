"""Storing customer satisfaction surveys (§5.3): which rows of an import are already in the
store, and adding new ones. Reading the file and linking each answer to its call is the
import's (appraisal/surveys.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.schema import Survey

_IN_CHUNK = 500  # values per IN (...): well inside every database's parameter limit


@dataclass(frozen=True)
class SurveyAnswer:
    """One survey answer as it is stored, already linked to its call and redacted."""

    call_id: str
    agent_id: str | None
    month: str | None
    answered_at: datetime | None
    satisfied: bool
    rating: int | None
    category: str | None
    comment: str | None
    source: str  # file, row number and a hash of the row: unique in the store


def stored_sources(session: Session, sources: Sequence[str]) -> set[str]:
    """Which of ``sources`` are already stored."""
    present: set[str] = set()
    for start in range(0, len(sources), _IN_CHUNK):
        chunk = list(sources[start : start + _IN_CHUNK])
        present |= set(session.scalars(select(Survey.source).where(Survey.source.in_(chunk))))
    return present


def add_surveys(session: Session, answers: Iterable[SurveyAnswer]) -> None:
    """Adds the answers in the caller's transaction."""
    for answer in answers:
        session.add(
            Survey(
                call_id=answer.call_id,
                agent_id=answer.agent_id,
                answered_at=answer.answered_at,
                month=answer.month,
                satisfied=answer.satisfied,
                rating=answer.rating,
                category=answer.category,
                comment=answer.comment,
                source=answer.source,
            )
        )
    session.flush()
