"""Saving and reading a call's drivers, its complaint, an unmatched call's utterances and
survey comments' drivers (tables in storage/drivers_schema.py). Saving replaces what an
earlier analysis of the same call stored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.drivers import CallDrivers
from storage.drivers_schema import CallComplaint, CallDriver, CallUnmatched, SurveyDriver
from storage.schema import Call, Survey


def save_call_drivers(session: Session, call: Call, drivers: CallDrivers) -> None:
    for table in (CallDriver, CallComplaint, CallUnmatched):
        session.execute(delete(table).where(table.call_id == call.id))
    for rank, hit in enumerate(drivers.drivers):
        session.add(
            CallDriver(
                call_id=call.id,
                driver_id=hit.driver,
                rank=rank,
                score=hit.score,
                evidence=[e.model_dump() for e in hit.evidence],
                month=call.month,
                started_at=call.started_at,
                team_id=call.team_id,
                agent_id=call.agent_id,
            )
        )
    if drivers.complaint is not None:
        found = drivers.complaint
        session.add(
            CallComplaint(
                call_id=call.id,
                category=found.category,
                severity=found.severity,
                score=found.score,
                cues=list(found.cues),
                evidence=[e.model_dump() for e in found.evidence],
                month=call.month,
                team_id=call.team_id,
                agent_id=call.agent_id,
            )
        )
    if not drivers.drivers:
        session.add(
            CallUnmatched(
                call_id=call.id,
                taxonomy=drivers.taxonomy,
                utterances=list(drivers.unmatched),
                month=call.month,
                team_id=call.team_id,
            )
        )


@dataclass(frozen=True)
class UnmatchedCall:
    call_id: str
    utterances: tuple[str, ...]


def unmatched_calls(session: Session, month: str | None = None) -> list[UnmatchedCall]:
    """Classified calls that fit no driver (of one month, or all), with what they said."""
    query = select(CallUnmatched).order_by(CallUnmatched.call_id)
    if month:
        query = query.where(CallUnmatched.month == month)
    return [
        UnmatchedCall(row.call_id, tuple(str(u) for u in row.utterances or ()))
        for row in session.scalars(query)
    ]


def call_drivers(session: Session, call_id: str) -> list[CallDriver]:
    return list(
        session.scalars(
            select(CallDriver).where(CallDriver.call_id == call_id).order_by(CallDriver.rank)
        )
    )


def unclassified_surveys(session: Session, limit: int = 1000) -> list[Survey]:
    """Surveys with a comment and no driver row yet (oldest first)."""
    classified = select(SurveyDriver.survey_id)
    return list(
        session.scalars(
            select(Survey)
            .where(Survey.comment.is_not(None), Survey.comment != "")
            .where(Survey.id.not_in(classified))
            .order_by(Survey.id)
            .limit(limit)
        )
    )


def save_survey_drivers(session: Session, rows: Iterable[tuple[int, CallDrivers]]) -> int:
    count = 0
    for survey_id, drivers in rows:
        session.execute(delete(SurveyDriver).where(SurveyDriver.survey_id == survey_id))
        first = drivers.drivers[0] if drivers.drivers else None
        session.add(
            SurveyDriver(
                survey_id=survey_id,
                driver_id=first.driver if first else None,
                complaint_category=drivers.complaint.category if drivers.complaint else None,
                score=first.score if first else None,
                taxonomy=drivers.taxonomy,
            )
        )
        count += 1
    return count


def forget_words(session: Session, call_ids: Sequence[str]) -> None:
    """Transcript retention: the words kept as evidence go with the transcript; the
    drivers, the complaint's category and severity stay (they are statistics, §6.3)."""
    session.execute(update(CallDriver).where(CallDriver.call_id.in_(call_ids)).values(evidence=[]))
    session.execute(
        update(CallComplaint).where(CallComplaint.call_id.in_(call_ids)).values(evidence=[])
    )
    session.execute(
        update(CallUnmatched).where(CallUnmatched.call_id.in_(call_ids)).values(utterances=[])
    )
