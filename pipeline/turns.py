"""From recognised segments to speaker turns: channels merged by time (stereo), or words
given to diarized speakers (mono); overlapping speech kept and marked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.transcript import Turn, Word
from pipeline.transcribe import ChannelTranscript, Segment

# Pieces of one speaker closer than this, with nobody else in between, form one turn.
JOIN_GAP_S = 1.0
# Two parties talking over each other for less than this is not worth a mark.
MIN_OVERLAP_S = 0.2


@dataclass(frozen=True)
class LabelledTurn:
    """A turn whose speaker is known by label (ch0, SPEAKER_01) but not yet by role."""

    label: str
    start: float
    end: float
    words: tuple[Word, ...]
    text: str
    channel: int | None = None
    overlap: bool = False


@dataclass(frozen=True)
class SpeakerSpan:
    start: float
    end: float
    speaker: str


def channel_label(channel: int) -> str:
    return f"ch{channel}"


def stereo_turns(channels: Sequence[ChannelTranscript]) -> list[LabelledTurn]:
    """One speaker per channel: merge the channels' segments by time."""
    pieces = [
        (piece, channel_label(ct.channel), ct.channel)
        for ct in channels
        for seg in ct.segments
        for piece in split_at_pauses(seg)
    ]
    return mark_overlaps(_join(pieces))


def split_at_pauses(seg: Segment, pause: float = JOIN_GAP_S) -> list[Segment]:
    """Whisper may put words either side of a long pause into one segment (the VAD glues
    nearby speech together); the other party often speaks in that pause, so cut there."""
    if len(seg.words) < 2:
        return [seg]
    runs: list[list[Word]] = [[seg.words[0]]]
    for prev, word in zip(seg.words, seg.words[1:], strict=False):
        if word.start - prev.end > pause:
            runs.append([])
        runs[-1].append(word)
    if len(runs) == 1:
        return [seg]
    return [_segment_of(run, seg) for run in runs]


def _segment_of(words: Sequence[Word], like: Segment) -> Segment:
    text = "".join(w.text for w in words).strip()
    return Segment(
        words[0].start, words[-1].end, text, tuple(words), like.avg_logprob, like.no_speech_prob
    )


def mono_turns(
    transcript: ChannelTranscript, speakers: Sequence[SpeakerSpan]
) -> list[LabelledTurn]:
    """Give each recognised word to the diarized speaker who talks most during it."""
    pieces: list[tuple[Segment, str, int | None]] = []
    for seg in transcript.segments:
        for part in split_at_pauses(seg):
            for label, words in _split_by_speaker(part, speakers):
                piece = _segment_of(words, part)
                if piece.text:
                    pieces.append((piece, label, None))
    turns = _join(pieces)
    return mark_overlaps(turns, speakers)


def _split_by_speaker(
    seg: Segment, speakers: Sequence[SpeakerSpan]
) -> list[tuple[str, list[Word]]]:
    words = list(seg.words) or [Word(start=seg.start, end=seg.end, text=seg.text, p=1.0)]
    runs: list[tuple[str, list[Word]]] = []
    for word in words:
        label = _speaker_at(word.start, word.end, speakers)
        if runs and runs[-1][0] == label:
            runs[-1][1].append(word)
        else:
            runs.append((label, [word]))
    return runs


def _speaker_at(start: float, end: float, speakers: Sequence[SpeakerSpan]) -> str:
    if not speakers:
        return "SPEAKER_00"
    best, best_overlap = None, 0.0
    for span in speakers:
        overlap = min(end, span.end) - max(start, span.start)
        if overlap > best_overlap:
            best, best_overlap = span.speaker, overlap
    if best is not None:
        return best
    middle = (start + end) / 2  # in a diarization gap: the nearest speaker
    nearest = min(speakers, key=lambda s: min(abs(middle - s.start), abs(middle - s.end)))
    return nearest.speaker


def _join(pieces: Iterable[tuple[Segment, str, int | None]]) -> list[LabelledTurn]:
    ordered = sorted(pieces, key=lambda p: (p[0].start, p[0].end))
    turns: list[LabelledTurn] = []
    for seg, label, channel in ordered:
        last = turns[-1] if turns else None
        if last is not None and last.label == label and seg.start - last.end <= JOIN_GAP_S:
            turns[-1] = LabelledTurn(
                label=label,
                start=last.start,
                end=max(last.end, seg.end),
                words=last.words + seg.words,
                text=_concat(last.text, seg.text),
                channel=channel,
            )
        else:
            turns.append(LabelledTurn(label, seg.start, seg.end, seg.words, seg.text, channel))
    return turns


def _concat(left: str, right: str) -> str:
    # Latin words need a space between segments; Chinese characters must not get one.
    if left and right and left[-1].isascii() and left[-1].isalnum() and right[0].isascii():
        return f"{left} {right}"
    return left + right


def mark_overlaps(
    turns: Sequence[LabelledTurn], speakers: Sequence[SpeakerSpan] = ()
) -> list[LabelledTurn]:
    """Mark turns that another party talks over (by turn times, and by diarization spans)."""
    marked = []
    for turn in turns:
        others = [(t.start, t.end) for t in turns if t.label != turn.label]
        others += [(s.start, s.end) for s in speakers if s.speaker != turn.label]
        overlap = any(min(turn.end, e) - max(turn.start, s) >= MIN_OVERLAP_S for s, e in others)
        marked.append(
            LabelledTurn(
                turn.label, turn.start, turn.end, turn.words, turn.text, turn.channel, overlap
            )
        )
    return marked


def to_turns(
    turns: Sequence[LabelledTurn], roles: Mapping[str, str], *, with_words: bool = True
) -> tuple[Turn, ...]:
    return tuple(
        Turn(
            speaker=roles.get(t.label, "customer"),
            start=t.start,
            end=t.end,
            text=t.text,
            words=t.words if with_words and t.words else None,
            channel=t.channel,
            overlap=t.overlap,
            speaker_label=t.label,
        )
        for t in turns
    )
