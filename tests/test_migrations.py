"""The Alembic migrations build exactly storage/schema.py, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from storage.database import alembic_config, create_store_engine, migrate
from storage.scale_schema import exists_on
from storage.schema import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("fresh_postgres_url")


def _head(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


def test_upgrade_from_empty_then_again_is_a_no_op(empty_url):
    migrate(empty_url)
    engine = create_store_engine(empty_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert set(Base.metadata.tables) <= tables
        assert version == _head(empty_url)
        migrate(empty_url)  # a second run finds nothing to do
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == tables
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [v for (v,) in versions] == [version]
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(empty_url):
    migrate(empty_url)
    engine = create_store_engine(empty_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    # the trigram index exists on PostgreSQL only (migration 0006)
                    "include_object": lambda item, *_: exists_on(item, conn.dialect.name),
                },
            )
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_0002_copies_each_outcomes_call_month_team_and_agent(empty_url):
    """A store created by 0001 with calls in it is brought forward without losing them."""
    migrate(empty_url, "0001")
    engine = create_store_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO teams (id, name) VALUES ('T1', 'North')"))
            conn.execute(text("INSERT INTO agents (id, name, team_id) VALUES ('A1', 'Lin', 'T1')"))
            conn.execute(
                text(
                    "INSERT INTO calls (id, agent_id, team_id, month, duration_s, source,"
                    " source_version, models, rule_pack, policy, score, flagged, severity,"
                    " rules_applicable, rules_passed, reviewed, forbidden_language, metrics,"
                    " sentiment, search_text, training_case, escalated, processed_at)"
                    " VALUES ('c1', 'A1', 'T1', '2026-03', 30, 's', 'v', 'm', 'p', 'q', 90,"
                    " false, 0, 1, 1, false, false, '{}', '{}', '', false, false,"
                    " '2026-03-01 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO rule_results (call_id, rule_id, outcome, critical, reason,"
                    " evidence) VALUES ('c1', 'greeting', 'passed', false, 'ok', '[]')"
                )
            )
        migrate(empty_url)
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT month, team_id, agent_id, outcome FROM rule_results")
            ).one()
        assert tuple(row) == ("2026-03", "T1", "A1", "passed")
    finally:
        engine.dispose()


def _columns(engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return {c["name"] for c in inspect(conn).get_columns(table)}


def test_0009_renames_the_language_breach_column_keeping_every_call_and_its_rows(empty_url):
    """0009 renames calls.forbidden_language (named after a rule) to language_breach (the
    tag that decides it) in place: the values stay, and so do the call's turns, outcomes and
    scorecard (a copied-and-dropped ``calls`` would take them with it through ON DELETE
    CASCADE). Downgrading renames it back."""
    migrate(empty_url, "0008")
    engine = create_store_engine(empty_url)
    calls = (
        "INSERT INTO calls (id, month, duration_s, source, source_version, models, rule_pack,"
        " policy, score, flagged, severity, rules_applicable, rules_passed, reviewed,"
        " forbidden_language, metrics, sentiment, search_text, training_case, escalated,"
        " processed_at) VALUES (:id, '2026-03', 30, 's', 'v', 'm', 'p', 'q', 90, false, 0, 1,"
        " 1, false, :breach, '{}', '{}', '', false, false, '2026-03-01 10:00:00')"
    )
    try:
        with engine.begin() as conn:
            for call_id, breach in (("rude", True), ("polite", False)):
                conn.execute(text(calls), {"id": call_id, "breach": breach})
                conn.execute(
                    text(
                        "INSERT INTO rule_results (call_id, rule_id, outcome, critical, reason,"
                        " evidence, tags) VALUES (:id, 'r', 'failed', false, '', '[]', '[]')"
                    ),
                    {"id": call_id},
                )
                conn.execute(
                    text(
                        'INSERT INTO turns (call_id, "index", speaker, start, "end", text)'
                        " VALUES (:id, 0, 'agent', 0, 1, 'hi')"
                    ),
                    {"id": call_id},
                )
        migrate(empty_url)
        assert "language_breach" in _columns(engine, "calls")
        assert "forbidden_language" not in _columns(engine, "calls")
        with engine.connect() as conn:
            breaches = dict(conn.execute(text("SELECT id, language_breach FROM calls")).all())
            outcomes = conn.execute(text("SELECT count(*) FROM rule_results")).scalar()
            turns = conn.execute(text("SELECT count(*) FROM turns")).scalar()
        assert {k: bool(v) for k, v in breaches.items()} == {"rude": True, "polite": False}
        assert (outcomes, turns) == (2, 2)

        command.downgrade(alembic_config(empty_url), "0008")
        with engine.connect() as conn:
            rude = conn.execute(
                text("SELECT forbidden_language FROM calls WHERE id = 'rude'")
            ).scalar()
            turns = conn.execute(text("SELECT count(*) FROM turns")).scalar()
        assert bool(rude) and turns == 2
    finally:
        engine.dispose()
