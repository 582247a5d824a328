"""``concurrency = "auto"``: workers x threads per call chosen from the machine's cores and
memory and the model's size, for several machine shapes."""

from __future__ import annotations

import pytest

from core.concurrency import (
    GIB,
    Machine,
    call_bytes,
    choose_concurrency,
    fixed_concurrency,
    this_machine,
)

BASE = 145 << 20  # Whisper base int8's model.bin
LARGE = 3 * GIB  # a large-v3 float16 conversion
FOUR_HOURS = 4 * 3600.0


def shape(cores: int, gib: float, model: int = BASE, hours: float = 4, threads=None):
    choice = choose_concurrency(
        Machine(cores, int(gib * GIB)),
        model_bytes=model,
        max_duration_s=hours * 3600,
        threads=threads,
    )
    return choice.workers, choice.threads


@pytest.mark.parametrize(
    ("machine", "expected"),
    [
        ((2, 24), (2, 1)),  # this project's machines: a call per core
        ((1, 8), (1, 1)),
        ((16, 128), (16, 1)),
        ((16, 8), (2, 8)),  # memory for two 4-hour calls: the cores go to their threads
        ((2, 2), (1, 2)),  # not even two: one call, both cores
        ((4, 0.5), (1, 4)),  # starved: still one call, never zero
    ],
)
def test_auto_gives_every_core_a_call_as_far_as_memory_allows(machine, expected):
    assert shape(*machine) == expected


def test_shorter_calls_and_smaller_models_fit_more_workers():
    assert shape(16, 8, hours=1) > shape(16, 8, hours=4)
    assert shape(16, 16, model=LARGE)[0] < shape(16, 16, model=BASE)[0]


def test_configured_threads_per_call_are_kept():
    assert shape(8, 64, threads=2) == (4, 2)
    assert shape(3, 64, threads=2) == (1, 2)


def test_a_call_is_budgeted_for_the_longest_recording_allowed():
    # int16 stereo of 4 hours (0.86 GiB) + one channel as float32 (0.86 GiB) + the rest
    assert call_bytes(BASE, FOUR_HOURS) / GIB == pytest.approx(2.2, abs=0.1)
    assert call_bytes(BASE, 3600) < call_bytes(BASE, FOUR_HOURS) / 2


def test_the_choice_says_how_it_was_made():
    choice = choose_concurrency(Machine(16, 8 * GIB), model_bytes=BASE, max_duration_s=FOUR_HOURS)
    assert choice.describe().startswith("2 workers x 8 threads (auto: 16 cores, 8.0 GiB")
    assert "limited by memory" in choice.describe()


def test_an_explicit_concurrency_is_kept_and_shares_the_cores():
    def fixed(cores, workers, threads):
        choice = fixed_concurrency(Machine(cores, 8 * GIB), workers, threads)
        return choice.workers, choice.threads

    assert fixed(2, 1, None) == (1, 2)  # concurrency = 1: today's 1 x 2
    assert fixed(8, 3, None) == (3, 2)
    assert fixed(8, 2, 1) == (2, 1)


def test_this_machine_is_read_from_the_system():
    import os

    machine = this_machine()
    assert 1 <= machine.cores <= len(os.sched_getaffinity(0))
    assert machine.available_bytes > 0
