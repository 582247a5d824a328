"""QA reviews change what a call scores, and the agent's month with it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from test_appraisal import save, store_for, test_policy

from storage.database import Store
from storage.schema import AuditEntry, Call, CallScorecard, QAReview, RuleOutcome

CRITICAL = "ev06-phone-change-no-id"  # fails identity_verification, a critical rule
CLEAN = "ev01-cc-loss-ok"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    from appraisal import compute_month

    store = Store(store_for(request, tmp_path_factory, request.param))
    with store.session() as s:
        save(s, CRITICAL, "A1", datetime(2026, 5, 3, 10), call_id="bad")
        save(s, CLEAN, "A1", datetime(2026, 5, 4, 10), call_id="good")
        save(s, CLEAN, "A2", datetime(2026, 5, 4, 11), call_id="other")
        compute_month(s, "2026-05", test_policy())
    yield store
    store.close()


def test_overturning_a_failed_critical_rule_rescores_call_and_month(store):
    from appraisal import agent_scorecard
    from appraisal.reviews import record_review

    policy = test_policy()
    with store.session() as s:
        call = s.get(Call, "bad")
        assert call and call.flagged and call.severity == 1
        before_score, before_passed = call.score, call.rules_passed
        month_before = agent_scorecard(s, "A1", "2026-05")
        assert month_before is not None
        compliance_before = month_before.compliance
        adherence_before = month_before.details["groups"]["compliance"]["items"]["adherence"]

    with store.session() as s:
        review = record_review(s, "bad", "identity_verification", "overturned", "qa.lead",
                               "the agent did verify", policy=policy)  # fmt: skip
        assert review.outcome == "passed"

    with store.session() as s:
        call = s.get(Call, "bad")
        assert call is not None
        assert call.score > before_score
        assert call.severity == 0 and call.reviewed
        assert call.rules_passed == before_passed + 1
        assert not any("critical" in f for f in s.get(CallScorecard, "bad").flags)
        card = s.get(CallScorecard, "bad")
        assert card is not None and card.analysed_score == before_score and card.score == call.score
        outcome = s.get(RuleOutcome, ("bad", "identity_verification"))
        assert outcome and (outcome.outcome, outcome.reviewed_outcome) == ("failed", "passed")
        month = agent_scorecard(s, "A1", "2026-05")
        assert month is not None
        adherence = month.details["groups"]["compliance"]["items"]["adherence"]
        assert adherence["inputs"]["rules_passed"] == adherence_before["inputs"]["rules_passed"] + 1
        assert month.compliance >= compliance_before
        accuracy = month.details["groups"]["business"]["items"]["accuracy"]
        assert accuracy["inputs"] == {"reviewed_calls": 1, "accurate_calls": 1}
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "qa_review")).all()
        assert [a.username for a in audit] == ["qa.lead"]


def test_confirming_changes_nothing_but_is_recorded(store):
    from appraisal import agent_scorecard
    from appraisal.reviews import record_review

    with store.session() as s:
        call = s.get(Call, "bad")
        assert call is not None
        before = (call.score, call.flagged, call.severity, call.rules_passed)
        total_before = agent_scorecard(s, "A1", "2026-05").total  # type: ignore[union-attr]
    with store.session() as s:
        record_review(s, "bad", "identity_verification", "confirmed", "qa.lead",
                      policy=test_policy())  # fmt: skip
    with store.session() as s:
        call = s.get(Call, "bad")
        assert call is not None
        assert (call.score, call.flagged, call.severity, call.rules_passed) == before
        assert call.reviewed
        reviews = s.scalars(select(QAReview)).all()
        assert [(r.verdict, r.outcome) for r in reviews] == [("confirmed", "failed")]
        month = agent_scorecard(s, "A1", "2026-05")
        assert month is not None
        # the review makes the month's accuracy 0 of 1: the total may only drop
        accuracy = month.details["groups"]["business"]["items"]["accuracy"]
        assert accuracy["inputs"] == {"reviewed_calls": 1, "accurate_calls": 0}
        assert month.total <= total_before


def test_unknown_call_and_rule_are_named(store):
    from appraisal.reviews import ReviewError, UnknownCallError, UnknownRuleError, record_review

    policy = test_policy()
    with store.session() as s:
        with pytest.raises(UnknownCallError, match="'nope'"):
            record_review(s, "nope", "greeting", "confirmed", "qa", policy=policy)
        with pytest.raises(UnknownRuleError, match=r"'greting'.*greeting"):
            record_review(s, "bad", "greting", "confirmed", "qa", policy=policy)
        with pytest.raises(ReviewError, match="'maybe'"):
            record_review(s, "bad", "greeting", "maybe", "qa", policy=policy)  # type: ignore[arg-type]


def test_training_case_and_escalation_are_audited(store):
    from appraisal.reviews import UnknownCallError, escalate, mark_training_case

    with store.session() as s:
        mark_training_case(s, "bad", True, "qa.lead")
        escalate(s, "bad", "qa.lead", "mis-selling risk")
        with pytest.raises(UnknownCallError):
            escalate(s, "missing", "qa.lead")
    with store.session() as s:
        call = s.get(Call, "bad")
        assert call and call.training_case and call.escalated
        actions = [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == ["training_case", "escalate"]
