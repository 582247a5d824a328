"""The exchange format: round trips, clear errors on bad documents, docs in step with code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import TranscriptFormatError
from core.transcript import AudioFacts, Transcript, Turn, Word, json_schema

DOCS = Path(__file__).resolve().parents[1] / "docs"


def sample() -> Transcript:
    return Transcript(
        call_id="c1",
        audio=AudioFacts(duration=10.0, channels=2, sample_rate=8000),
        turns=(
            Turn(
                speaker="agent",
                start=0.5,
                end=2.0,
                text="您好",
                words=(Word(start=0.5, end=1.0, text="您好", p=0.9),),
                channel=0,
            ),
            Turn(speaker="customer", start=2.5, end=4.0, text="你好", channel=1, overlap=True),
        ),
    )


def test_round_trip(tmp_path):
    path = sample().write(tmp_path / "c1.json")
    assert Transcript.read(path) == sample()
    assert not list(tmp_path.glob("*.part"))


def test_documented_example_is_valid():
    doc = (DOCS / "transcript-format.md").read_text(encoding="utf-8")
    example = doc.split("```json", 1)[1].split("```", 1)[0]
    transcript = Transcript.from_json(example, source="docs example")
    assert transcript.turns[0].speaker == "agent"


def test_schema_file_matches_the_code():
    published = json.loads((DOCS / "transcript.schema.json").read_text(encoding="utf-8"))
    assert published == json_schema()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["turns"][0].update(speaker="robot"), "turns.0.speaker"),
        (lambda d: d["turns"][0].update(end=0.1), "ends (0.1) before it starts"),
        (lambda d: d.pop("call_id"), "call_id"),
        (lambda d: d["turns"].reverse(), "sorted by start"),
        (lambda d: d.update(speakers=[]), "speakers"),
    ],
)
def test_bad_documents_name_source_and_problem(mutate, expected):
    data = json.loads(sample().to_json())
    mutate(data)
    with pytest.raises(TranscriptFormatError) as info:
        Transcript.from_dict(data, source="calls/c1.json")
    assert "calls/c1.json" in str(info.value)
    assert expected in str(info.value)


def test_not_json_at_all():
    with pytest.raises(TranscriptFormatError, match=r"x\.json: not JSON"):
        Transcript.from_json("{oops", source="x.json")


def test_turns_are_immutable():
    transcript = sample()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        transcript.turns[0].text = "changed"  # type: ignore[misc]
