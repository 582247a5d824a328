"""The checks CI owes the code: ruff, formatting, mypy, and cheap imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

BIN = ROOT / ".venv" / "bin"


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff_lint():
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format():
    result = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy():
    result = _run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_packages_is_cheap():
    """Heavy libraries load on first use, never on import; Prefect lives in flows/ only."""
    code = (
        "import sys, pipeline, pipeline.call, pipeline.diarize, models, models.whisper,"
        " models.diarization, storage, rules, callqa.cli\n"
        "heavy = ['torch', 'pyannote', 'faster_whisper', 'ctranslate2', 'prefect',"
        " 'transformers', 'spacy']\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
