"""Shared fixtures: the real recordings in ../shared/data/real, and the models, loaded once."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from flow_fixtures import flow_call_files, prefect_harness, recordings  # noqa: F401
from services_pg import fresh_postgres_url, pg_cluster, postgres_url  # noqa: F401
from services_s3 import s3_server, s3_settings  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
# The bank rule pack's stable rule ids, as issue 3 names them: reports refer to these.
BANK_RULE_IDS = (
    "greeting",
    "identity_verification",
    "risk_disclosure",
    "customer_consent",
    "result_confirmation",
    "followup_commitment",
    "complaint_apology",
    "complaint_time_commitment",
    "forbidden_language",
    "closing",
    "answer_time",
)


def real(relative: str) -> Path:
    path = REAL / relative
    if not path.is_file():
        pytest.skip(f"real test recording {path} is missing (../shared/data/real not laid out)")
    return path


def manifest() -> list[dict[str, str]]:
    with real("MANIFEST.tsv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="session")
def whisper():
    from models.whisper import WhisperConfig, load_whisper

    return load_whisper(WhisperConfig())


@pytest.fixture(scope="session")
def call_models(whisper):
    from models.diarization import DiarizationModelConfig, load_diarization
    from pipeline.call import CallModels

    return CallModels(
        whisper=whisper,
        whisper_label="whisper-base",
        diarizer=lambda: load_diarization(DiarizationModelConfig()),
    )


@pytest.fixture(scope="session")
def short_call_wav(tmp_path_factory) -> Path:
    """A short synthetic Mandarin stereo call (agent on the right) written as a WAV file."""
    from synth.calls import build_call, write_call
    from synth.scripts import SCRIPTS

    call = build_call("short-enquiry", SCRIPTS["enquiry_card_bill"][:3], agent_channel=1)
    return write_call(call, tmp_path_factory.mktemp("calls") / "short-enquiry.wav")


@pytest.fixture(scope="session")
def pack():
    """The bank's rule pack as shipped, loaded once for every test that reads it."""
    from rules import default_pack_path, load_pack

    return load_pack(default_pack_path())
