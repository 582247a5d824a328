"""Diarization's networks on ONNX Runtime: the same outputs as torch on real audio, the
export cached and checked by its digest, and torch kept where the export cannot be used."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.campplus import ONNX_TOLERANCE, load_campplus
from models.diarization import (
    DiarizationModel,
    DiarizationModelConfig,
    _import_pyannote,
    _load_segmentation,
    load_diarization,
)
from models.diarization_weights import sha256_of
from models.segmentation_onnx import (
    export_segmentation,
    max_difference,
    run_on_onnx,
    tolerance,
)
from pipeline.audio import decode
from pipeline.diarize import diarize

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
MANDARIN = REAL / "service_audio2text_sd/2speakers_example.wav"  # 52 s, two speakers
WINDOW = 160_000  # 10 s at 16 kHz


@pytest.fixture(scope="module")
def model() -> DiarizationModel:
    return load_diarization()


@pytest.fixture()
def torch_segmentation(model: DiarizationModel) -> Any:
    """A fresh segmentation model on torch, from the same checkpoint."""
    _import_pyannote()
    return _load_segmentation(model.weights.segmentation).eval()


def mandarin() -> np.ndarray:
    if not MANDARIN.is_file():
        pytest.skip(f"real test recording {MANDARIN} is missing")
    return decode(MANDARIN).mono()


def real_windows(step: int = 40_000) -> np.ndarray:
    samples = mandarin()
    starts = range(0, len(samples) - WINDOW, step)
    return np.stack([samples[s : s + WINDOW] for s in starts])[:, None].astype(np.float32)


def segment(network: Any, windows: np.ndarray) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return network(torch.from_numpy(windows)).numpy()


def export(network: Any, model: DiarizationModel) -> Path:
    weights = model.weights
    return export_segmentation(network, weights.segmentation, weights.segmentation_sha256)


def to_onnx(network: Any, model: DiarizationModel) -> bool:
    weights = model.weights
    return run_on_onnx(network, weights.segmentation, weights.segmentation_sha256, 2)


def test_default_model_runs_both_networks_on_onnx(model: DiarizationModel) -> None:
    assert model.runtimes == ("onnx", "onnx")
    assert "runtimes=('onnx', 'onnx')" in repr(model)


@pytest.mark.slow
def test_segmentation_on_onnx_equals_torch_on_real_audio(
    model: DiarizationModel, torch_segmentation: Any
) -> None:
    windows = real_windows()  # 11 windows of the Mandarin call, 2.5 s apart
    on_onnx = segment(model.pipeline._segmentation.model, windows)
    on_torch = segment(torch_segmentation, windows)
    assert on_onnx.shape == on_torch.shape == (len(windows), 589, 7)
    assert np.max(np.abs(on_onnx - on_torch)) <= tolerance()
    # What pyannote keeps of them: the most likely speaker set per frame.
    same_class = np.mean(on_onnx.argmax(axis=-1) == on_torch.argmax(axis=-1))
    assert same_class >= 0.999, same_class
    # A batch of one (pyannote's last batch is often short) runs the same graph.
    alone = segment(model.pipeline._segmentation.model, windows[:1])
    assert np.max(np.abs(alone - on_torch[:1])) <= tolerance()


@pytest.mark.slow
def test_campplus_on_onnx_equals_torch_on_real_speech(model: DiarizationModel) -> None:
    import torch

    on_torch = load_campplus(model.weights.embedding)
    assert on_torch.runtime == "torch"
    on_onnx = model.pipeline._embedding.model_
    assert on_onnx.runtime == "onnx"
    samples = mandarin()
    for start_s, seconds in ((3.0, 1.5), (10.0, 4.0), (20.0, 10.0)):  # lengths vary
        begin = int(start_s * 16_000)
        waveform = torch.from_numpy(samples[begin : begin + int(seconds * 16_000)])[None]
        masks = torch.ones((1, 589))
        with torch.inference_mode():
            expected = on_torch.embed_masked(waveform, masks)
            actual = on_onnx.embed_masked(waveform, masks)
        assert float((actual - expected).abs().max()) <= ONNX_TOLERANCE


@pytest.mark.slow
def test_diarization_on_onnx_equals_torch(model: DiarizationModel) -> None:
    on_torch = load_diarization(DiarizationModelConfig(runtime="torch"))
    assert on_torch.runtimes == ("torch", "torch")
    samples = mandarin()
    onnx_segments, torch_segments = diarize(samples, model), diarize(samples, on_torch)
    assert len(onnx_segments) == len(torch_segments)
    for a, b in zip(onnx_segments, torch_segments, strict=True):
        assert a.speaker == b.speaker
        assert abs(a.start - b.start) <= 0.05 and abs(a.end - b.end) <= 0.05


@pytest.mark.slow
def test_export_is_cached_and_checked_by_digest(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model: DiarizationModel,
    torch_segmentation: Any,
) -> None:
    monkeypatch.setenv("CALLQA_CACHE", str(tmp_path))
    path = export(torch_segmentation, model)
    assert path.parent == tmp_path / "diarization-onnx"
    assert model.weights.segmentation_sha256[:16] in path.name
    digest_file = path.with_suffix(".onnx.sha256")
    assert digest_file.read_text().strip() == sha256_of(path)
    exported = path.read_bytes()
    stamp = path.stat().st_mtime_ns

    # Found again: not exported a second time.
    assert export(torch_segmentation, model) == path
    assert path.stat().st_mtime_ns == stamp

    # Altered on disk: its digest no longer matches, so it is exported again.
    path.write_bytes(exported[: len(exported) // 2])
    export(torch_segmentation, model)
    assert path.read_bytes() == exported
    assert not list(path.parent.glob("*.partial"))


@pytest.mark.slow
def test_run_on_onnx_replaces_the_forward_pass(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model: DiarizationModel,
    torch_segmentation: Any,
) -> None:
    monkeypatch.setenv("CALLQA_CACHE", str(tmp_path))
    windows = real_windows(step=WINDOW)[:3]
    expected = segment(torch_segmentation, windows)
    assert to_onnx(torch_segmentation, model)
    session = torch_segmentation.onnx_session
    assert max_difference(torch_segmentation, session, windows) == 0.0  # forward is ONNX now
    assert np.max(np.abs(segment(torch_segmentation, windows) - expected)) <= tolerance()


@pytest.mark.slow
def test_falls_back_to_torch_when_the_cache_is_unusable(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    model: DiarizationModel,
    torch_segmentation: Any,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("CALLQA_CACHE", str(blocker))
    windows = real_windows(step=WINDOW)[:2]
    before = segment(torch_segmentation, windows)
    with caplog.at_level(logging.WARNING):
        assert to_onnx(torch_segmentation, model) is False
        campplus = load_campplus(
            model.weights.embedding, freeze_for_cpu=True, onnx_sha256=model.weights.embedding_sha256
        )
    assert "the segmentation runs on torch instead" in caplog.text
    assert "CAM++ runs on torch instead" in caplog.text
    assert str(model.weights.segmentation) in caplog.text
    assert "forward" not in vars(torch_segmentation)  # still torch's own forward
    assert np.array_equal(segment(torch_segmentation, windows), before)
    assert campplus.runtime == "torch"


@pytest.mark.slow
def test_falls_back_to_torch_when_the_cached_file_is_not_onnx(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    model: DiarizationModel,
    torch_segmentation: Any,
) -> None:
    monkeypatch.setenv("CALLQA_CACHE", str(tmp_path))
    path = export(torch_segmentation, model)
    # Someone replaced the file and its digest together: the digest matches, ONNX
    # Runtime cannot load it, and the segmentation stays on torch.
    path.write_bytes(b"not an onnx graph")
    path.with_suffix(".onnx.sha256").write_text(sha256_of(path))
    with caplog.at_level(logging.WARNING, logger="models.segmentation_onnx"):
        assert to_onnx(torch_segmentation, model) is False
    assert f"ONNX Runtime cannot load {path}" in caplog.text
    assert "forward" not in vars(torch_segmentation)
