"""Writing one analysed call into the scorecard store, in one transaction.

Storing is the point at which a call counts as processed: the call, its turns, rule
outcomes, scorecard and the ledger row are written together or not at all, so a worker
killed half-way leaves nothing behind for the rerun to trip over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.analysis import CallAnalysis
from core.transcript import Transcript
from pipeline.scorecard import RuleFacts, rule_facts
from storage.schema import Agent, Call, CallScorecard, RuleOutcome, Team, Turn


@dataclass(frozen=True)
class CallRecord:
    """Where a call came from and who took it: what the store keeps beside the analysis."""

    call_id: str
    source: str
    source_version: str
    models: str
    agent_id: str | None = None
    agent_name: str | None = None
    team_id: str | None = None
    started_at: datetime | None = None
    customer_ref: str | None = None
    channel_layout: str | None = None
    ring_time_s: float | None = None
    transcript_key: str | None = None
    analysis_key: str | None = None
    redacted_audio_key: str | None = None


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def save_call(
    session: Session, record: CallRecord, redacted: Transcript, analysis: CallAnalysis
) -> Call:
    """Writes (or replaces) the call's rows. Only the redacted transcript is ever stored.

    QA reviews of an earlier analysis are kept (they are history) but no longer override
    the new outcomes: the reviewer judged the old ones. Only the same recording (its
    ``source``) replaces a call: another recording's rows under a taken id raise
    ``CallIdTaken`` (``storage.call_identity`` picks ids that avoid it).
    """
    _refuse_another_recording(session, record)
    _ensure_agent(session, record.agent_id, record.agent_name, record.team_id)
    session.execute(delete(Turn).where(Turn.call_id == record.call_id))
    session.execute(delete(RuleOutcome).where(RuleOutcome.call_id == record.call_id))
    session.execute(delete(CallScorecard).where(CallScorecard.call_id == record.call_id))
    session.flush()

    call = session.get(Call, record.call_id) or Call(id=record.call_id)
    team_id = record.team_id
    if team_id is None and record.agent_id is not None:
        agent = session.get(Agent, record.agent_id)
        team_id = agent.team_id if agent else None
    _fill_call(call, record, team_id, redacted, analysis)
    session.add(call)
    _add_turns(session, call, redacted, analysis)
    _add_outcomes(session, call, analysis)
    if analysis.drivers is not None:
        from storage.drivers import save_call_drivers

        save_call_drivers(session, call, analysis.drivers)
    session.add(
        CallScorecard(
            call_id=call.id,
            analysed_score=analysis.score,
            score=analysis.score,
            breakdown=dict(analysis.score_breakdown),
            flags=list(analysis.flags),
            updated_at=utcnow(),
        )
    )
    session.flush()
    return call


def _refuse_another_recording(session: Session, record: CallRecord) -> None:
    stored = session.get(Call, record.call_id)
    if stored is not None and stored.source != record.source:
        from storage.call_identity import CallIdTaken

        raise CallIdTaken(
            f"{record.source}: call id {record.call_id!r} belongs to another recording "
            f"({stored.source}); a call is never overwritten by another recording's"
        )


def _fill_call(
    call: Call,
    record: CallRecord,
    team_id: str | None,
    redacted: Transcript,
    analysis: CallAnalysis,
) -> None:
    """The call's row: who, when, where its files are, and what the analysis found."""
    sentiment = analysis.sentiment
    metrics = dict(analysis.metrics)
    call.agent_id = record.agent_id
    call.team_id = team_id
    call.started_at = record.started_at
    call.month = record.started_at.strftime("%Y-%m") if record.started_at else None
    call.customer_ref = record.customer_ref
    call.channel_layout = record.channel_layout or (
        "stereo" if redacted.audio.channels == 2 else "mono"
    )
    call.ring_time_s = record.ring_time_s
    call.duration_s = redacted.audio.duration
    call.language = redacted.language
    call.source = record.source
    call.source_version = record.source_version
    call.transcript_key = record.transcript_key
    call.analysis_key = record.analysis_key
    call.redacted_audio_key = record.redacted_audio_key
    call.models = record.models
    call.rule_pack = analysis.rule_pack or ""
    call.policy = analysis.policy or ""
    call.score = analysis.score
    call.flagged = bool(analysis.flags)
    apply_rule_facts(call, rule_facts(analysis.rules))
    call.reviewed = False
    call.customer_end_sentiment = sentiment.customer_end
    call.agent_negative_share = sentiment.agent_negative_share
    call.answer_time_s = _number(metrics.get("first_agent_word_s"))
    call.response_latency_p90_s = _number(metrics.get("response_latency_p90_s"))
    call.metrics = metrics
    call.sentiment = sentiment.stored()
    call.search_text = "\n".join(t.text for t in redacted.turns)
    call.processed_at = utcnow()


def _add_turns(session: Session, call: Call, redacted: Transcript, analysis: CallAnalysis) -> None:
    by_turn = {t.turn: (t.label, t.score) for t in analysis.sentiment.turns}
    for index, turn in enumerate(redacted.turns):
        label, score = by_turn.get(index, (None, None))
        session.add(
            Turn(
                call_id=call.id,
                index=index,
                speaker=turn.speaker,
                start=turn.start,
                end=turn.end,
                text=turn.text,
                sentiment_label=label,
                sentiment_score=score,
            )
        )


def _add_outcomes(session: Session, call: Call, analysis: CallAnalysis) -> None:
    """Each rule's outcome, with the call's month, team and agent copied beside it so that
    adherence is counted without a join."""
    for rule in analysis.rules:
        session.add(
            RuleOutcome(
                call_id=call.id,
                rule_id=rule.id,
                outcome=rule.outcome,
                confidence=rule.confidence,
                leaning=rule.leaning,
                critical=rule.critical,
                tags=list(rule.tags),
                reason=rule.reason,
                evidence=[e.model_dump() for e in rule.evidence],
                month=call.month,
                team_id=call.team_id,
                agent_id=call.agent_id,
            )
        )


def _ensure_agent(
    session: Session, agent_id: str | None, name: str | None, team_id: str | None
) -> None:
    if team_id is not None:
        _add_if_missing(session, Team(id=team_id, name=team_id))
    if agent_id is None:
        return
    agent = _add_if_missing(session, Agent(id=agent_id, name=name or agent_id, team_id=team_id))
    if (name and agent.name != name) or (team_id and agent.team_id != team_id):
        agent.name = name or agent.name
        agent.team_id = team_id or agent.team_id


def _add_if_missing(session: Session, row: Team | Agent) -> Any:
    """The stored row with ``row``'s id, adding ``row`` if there is none. Two workers
    storing the first calls of a new team or agent at once both try to add it: the second
    waits for the first's commit, finds the key taken, and uses the row that is there."""
    kind = type(row)
    stored = session.get(kind, row.id)
    if stored is not None:
        return stored
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:
        return session.get(kind, row.id, populate_existing=True)


def apply_rule_facts(call: Call, facts: RuleFacts) -> None:
    """Copies what the outcomes say about the call onto its row (see ``RuleFacts``)."""
    call.severity = facts.severity
    call.rules_applicable = facts.applicable
    call.rules_passed = facts.passed
    call.enquiry_answered = facts.enquiry_answered
    call.language_breach = facts.forbidden_language


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def call_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Call.id).order_by(Call.id)))
