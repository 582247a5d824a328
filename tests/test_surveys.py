"""Survey import (§5.3): linked to calls by id or by agent and time, idempotent, bad rows
reported by row number, UTF-8 with or without a BOM (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from test_appraisal import save, store_for

from storage.database import Store
from storage.schema import Survey

HEADER = "call_id,agent_id,answered_at,satisfied,rating,category,comment,channel\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    store = Store(store_for(request, tmp_path_factory, request.param))
    with store.session() as s:
        save(s, "ev01-cc-loss-ok", "A1", datetime(2026, 3, 31, 22, 0), call_id="c1")
        save(s, "ev07-cc-cancel-retention-long", "A1", datetime(2026, 3, 31, 9, 0), call_id="c2")
        save(s, "ev13-mortgage-prepay-ok", "A2", datetime(2026, 3, 30, 9, 0), call_id="c3")
    yield store
    store.close()


def write(tmp_path, text: str, bom: bool = False, name: str = "surveys.csv"):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


ROWS = (
    HEADER
    + "c1,,,yes,,billing,很满意,phone\n"  # row 2: by call id
    + ",A1,2026-04-01 08:00,,2,,,web\n"  # row 3: agent+time -> c1 (22:00 the day before)
    + ",A1,2026-03-31 12:00,,5,,,web\n"  # row 4: agent+time -> c2 (09:00 that day)
    + "c9,,,yes,,,,\n"  # row 5: unknown call
    + ",A2,2026-04-05 08:00,no,,,,\n"  # row 6: A2's call was more than 24 h before
    + "c3,,,maybe,,,,\n"  # row 7: bad satisfied
    + "c3,,,,7,,,\n"  # row 8: rating out of range
    + "c3,A1,,yes,,,,\n"  # row 9: c3 is A2's call
)


@pytest.mark.parametrize("bom", [False, True])
def test_import_links_rows_and_reports_bad_ones(store, tmp_path, bom):
    from appraisal.surveys import import_surveys

    path = write(tmp_path, ROWS, bom=bom)
    with store.session() as s:
        report = import_surveys(s, path)
    assert (report.rows, report.imported, report.already_present) == (8, 3, 0)
    assert report.ignored_columns == ("channel",)
    bad = {b.row: b.problem for b in report.bad}
    assert set(bad) == {5, 6, 7, 8, 9}
    assert "'c9'" in bad[5] and "24 h" in bad[6] and "'maybe'" in bad[7]
    assert "outside 1-5" in bad[8] and "'A2'" in bad[9]
    with store.session() as s:
        rows = {r.source.split(":")[0]: r for r in s.scalars(select(Survey))}
    first, by_time, rated = rows["surveys.csv#2"], rows["surveys.csv#3"], rows["surveys.csv#4"]
    assert (first.call_id, first.satisfied, first.category, first.comment) == (
        "c1", True, "billing", "很满意")  # fmt: skip
    # answered on 1 April about a call on 31 March: it counts for March
    assert (by_time.call_id, by_time.satisfied, by_time.rating, by_time.month) == (
        "c1", False, 2, "2026-03")  # fmt: skip
    assert (rated.call_id, rated.satisfied, rated.agent_id) == ("c2", True, "A1")


def test_reimport_adds_nothing(store, tmp_path):
    from appraisal.surveys import import_surveys

    path = write(tmp_path, ROWS)
    with store.session() as s:
        import_surveys(s, path)
    with store.session() as s:
        again = import_surveys(s, path)
        count = s.scalar(select(func.count()).select_from(Survey))
    assert (again.imported, again.already_present, count) == (0, 3, 3)
    # a corrected file: the fixed row comes in, the rest are still there once
    fixed = write(tmp_path, ROWS.replace("c3,,,maybe", "c3,,,no"))
    with store.session() as s:
        third = import_surveys(s, fixed)
        count = s.scalar(select(func.count()).select_from(Survey))
    assert (third.imported, third.already_present, count) == (1, 3, 4)


def test_whole_file_problems_are_errors(store, tmp_path):
    from appraisal.surveys import SurveyImportError, import_surveys

    with store.session() as s:
        with pytest.raises(SurveyImportError, match="satisfied or rating"):
            import_surveys(s, write(tmp_path, "call_id,comment\nc1,x\n"))
        with pytest.raises(SurveyImportError, match="not UTF-8"):
            import_surveys(s, _latin1(tmp_path))
        with pytest.raises(SurveyImportError, match="cannot read"):
            import_surveys(s, tmp_path / "missing.csv")


def _latin1(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("call_id,satisfied,comment\nc1,yes,très\n".encode("latin-1"))
    return path


def test_cli_import(store, tmp_path):
    import typer
    from typer.testing import CliRunner

    from callqa.cli_appraisal import register

    app = typer.Typer()
    register(app)
    path = write(tmp_path, ROWS, bom=True)
    result = CliRunner().invoke(app, ["surveys", "import", str(path), "--store", store.url])
    assert result.exit_code == 1  # some rows were bad
    assert "3 imported" in result.output and "row 5:" in result.output
