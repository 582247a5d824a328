"""Rules are data all the way to the appraisal: a pack whose forbidden-language rule has
another id but keeps ``tags: [language_breach]`` still fills the calls' stored
``language_breach`` column and so the month's language-breach count and attitude item; the
same rule without the tag counts nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from test_appraisal import analyser, store_for, test_policy

from appraisal import MonthInputs

ROOT = Path(__file__).resolve().parents[1]
CALLS = ROOT / "tests" / "data" / "eval" / "calls"
RUDE = "ev28-pension-elderly-rude"  # the agent's words fail the bundled forbidden-language rule
CLEAN = "ev01-cc-loss-ok"
BUNDLED_ID = "- id: forbidden_language"
RENAMED = "no_rude_words"


def renamed_pack(tmp_path: Path, *, keep_tag: bool):
    """The bundled pack with its forbidden-language rule renamed (and, unless ``keep_tag``,
    stripped of its language_breach tag)."""
    from pipeline.analyze import load_rules

    text = (ROOT / "rules" / "bank_remote_agent.yaml").read_text(encoding="utf-8")
    assert text.count(BUNDLED_ID) == 1
    head, rule = text.split(BUNDLED_ID)
    if not keep_tag:
        assert "    tags: [language_breach]\n" in rule
        rule = rule.replace("    tags: [language_breach]\n", "", 1)
    path = tmp_path / ("tagged.yaml" if keep_tag else "untagged.yaml")
    path.write_text(f"{head}- id: {RENAMED}{rule}", encoding="utf-8")
    pack, _ = load_rules(path)
    return pack


def store_month(url: str, pack) -> tuple[MonthInputs, dict[str, Any]]:
    """Analyses a rude and a clean call with ``pack``, stores them for agent A9 in March,
    appraises the month; returns (A9's month inputs, A9's stored scorecard details)."""
    from appraisal import agent_scorecard, compute_month, month_inputs
    from core.transcript import Transcript
    from pipeline.analyze import Analyser
    from storage.database import Store
    from storage.results import CallRecord, save_call

    # the session's sentiment model, with the renamed pack
    with_pack = Analyser(pack, test_policy(), analyser().sentiment)
    store = Store(url)
    try:
        with store.session() as s:
            for day, stem in enumerate((RUDE, CLEAN), start=1):
                transcript = Transcript.from_json(
                    (CALLS / f"{stem}.json").read_text(encoding="utf-8")
                )
                redacted, analysis = with_pack.analyse(transcript)
                assert RENAMED in {r.id for r in analysis.rules}
                assert "forbidden_language" not in {r.id for r in analysis.rules}
                record = CallRecord(
                    call_id=stem, source=f"{stem}.json", source_version="v1", models="hand",
                    agent_id="A9", team_id="T9", started_at=datetime(2026, 3, day, 9),
                )  # fmt: skip
                save_call(s, record, redacted, analysis)
            compute_month(s, "2026-03", test_policy())
        with store.session() as s:
            inputs = month_inputs(s, "2026-03", test_policy())["A9"]
            card = agent_scorecard(s, "A9", "2026-03")
            assert card is not None
            return inputs, card.details
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_renamed_rule_keeps_its_appraisal_meaning_through_its_tag(
    request, tmp_path_factory, tmp_path, backend
):
    from sqlalchemy import select

    from storage.database import Store
    from storage.schema import Call, RuleOutcome

    url = store_for(request, tmp_path_factory, backend)
    inputs, details = store_month(url, renamed_pack(tmp_path, keep_tag=True))
    store = Store(url)
    try:
        with store.session() as s:
            rude = s.get(RuleOutcome, (RUDE, RENAMED))
            assert rude is not None and rude.outcome == "failed"
            breaches = dict(s.execute(select(Call.id, Call.language_breach)).all())
    finally:
        store.close()
    assert breaches == {RUDE: True, CLEAN: False}
    assert (inputs.calls, inputs.language_breach_calls) == (2, 1)
    attitude = details["groups"]["service"]["items"]["attitude"]
    assert attitude["inputs"]["forbidden_language_calls"] == 1
    assert attitude["inputs"]["courteous_calls"] <= 1


def test_without_the_tag_the_same_failure_is_no_language_breach(
    request, tmp_path_factory, tmp_path
):
    """The control: what counts is the tag, not the rule's id or its failure alone."""
    url = store_for(request, tmp_path_factory, "sqlite")
    inputs, details = store_month(url, renamed_pack(tmp_path, keep_tag=False))
    assert (inputs.calls, inputs.language_breach_calls) == (2, 0)
    attitude = details["groups"]["service"]["items"]["attitude"]
    assert attitude["inputs"]["forbidden_language_calls"] == 0
