"""Survey free text is redacted before it is stored (policy §6.2): a customer who writes a
phone or ID number into a comment gets it masked like one said on a call, and a comment
too long to be an answer is a bad row, not a stored megabyte."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from test_appraisal import save

from storage.database import Store
from storage.schema import Survey

HEADER = "call_id,satisfied,category,comment\n"
MOBILE = "13912345678"
ID_NUMBER = "11010519491231002X"  # a valid check digit: a real-shaped resident ID


def test_phone_and_id_numbers_in_a_comment_are_stored_masked(tmp_path):
    from appraisal.surveys import MAX_COMMENT_CHARS, import_surveys

    store = Store(f"sqlite:///{tmp_path / 'callqa.db'}")
    with store.session() as session:
        save(session, "ev01-cc-loss-ok", "A1", datetime(2026, 3, 31, 22, 0), call_id="c1")
    path = tmp_path / "surveys.csv"
    path.write_text(
        HEADER
        + f"c1,no,回电 {MOBILE},态度差，请回电{MOBILE}，我的身份证号{ID_NUMBER}要改地址\n"
        + f"c1,yes,,{'好' * (MAX_COMMENT_CHARS + 1)}\n",
        encoding="utf-8",
    )
    try:
        with store.session() as session:
            report = import_surveys(session, path)
        with store.session() as session:
            stored = list(session.scalars(select(Survey)))
    finally:
        store.close()
    assert report.imported == 1
    assert [(b.row, "longer than" in b.problem) for b in report.bad] == [(3, True)]
    (survey,) = stored
    assert survey.comment == "态度差，请回电[电话]，我的身份证号[身份证号]要改地址"
    assert survey.category == "回电 [电话]"
    everything = f"{survey.comment} {survey.category} {survey.source}"
    assert MOBILE not in everything and ID_NUMBER not in everything
    assert "1391234" not in everything and "19491231" not in everything
