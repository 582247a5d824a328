"""Configuration: one settings object, read from (later wins) defaults, a TOML file
(``callqa.toml`` in the working folder, or ``--config``/``$CALLQA_CONFIG``), and
``CALLQA_*`` environment variables. Stage options are built from it once.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError

DEFAULT_CONFIG_FILE = "callqa.toml"


class Settings(BaseSettings):
    """Every setting callqa reads, with its default."""

    model_config = SettingsConfigDict(env_prefix="CALLQA_", extra="forbid")

    # --- models ---------------------------------------------------------------------
    whisper_model: str = Field("base", description="'base' (shipped) or a CTranslate2 model folder")
    compute_type: str = Field(
        "float32",
        description="CTranslate2 weights' type: float32 (CER steady across CPU instruction"
        " sets), or int8 (faster; as accurate only on CPUs with VNNI:"
        " bench/bench_recognition.py)",
    )
    cpu_threads: int | None = Field(
        None,
        ge=1,
        description="CPU threads per call's models; default: chosen with concurrency"
        " (one call alone: every core)",
    )
    diarization_segmentation: str | None = Field(None, description="segmentation checkpoint path")
    diarization_embedding: str | None = Field(None, description="CAM++ state-dict path")

    # --- recognition ----------------------------------------------------------------
    language: str = Field("zh", description="Whisper language code, or 'auto'")
    beam_size: int = Field(5, ge=1, description="5: CER 0.126 vs 0.185 greedy, RTF 0.105")
    whisper_batch_size: int = Field(
        0,
        ge=0,
        description="speech chunks decoded at once by faster-whisper's batched pipeline;"
        " 0 = off (bench/bench_batched.py)",
    )
    vad: bool = True
    vad_threshold: float = Field(0.3, gt=0, lt=1, description="Silero speech probability")
    initial_prompt: str | None = None
    hotwords: list[str] = Field(default_factory=list)
    pack_hotwords: bool = Field(
        False,
        description="also bias recognition towards the rule pack's script phrases; off by"
        " default: measured 20-35x slower and hallucinating them on silence"
        " (bench/bench_recognition.py)",
    )
    output_script: Literal["simplified", "traditional", "as_recognised"] = "simplified"
    max_duration_s: float = Field(4 * 3600, gt=0)

    # --- speakers -------------------------------------------------------------------
    agent_channel: Literal["auto", "left", "right"] = "auto"
    num_speakers: int | None = Field(2, ge=1)
    min_speakers: int | None = Field(None, ge=1)
    max_speakers: int | None = Field(None, ge=1)
    first_speaker_is_agent: bool = True

    # --- analysis -------------------------------------------------------------------
    rule_pack: Path | None = Field(None, description="rule pack YAML; default: the bank's pack")
    policy_file: Path | None = Field(None, description="policy YAML; default: rules/policy.yaml")

    # --- storage: where recordings come from and results go -------------------------
    data_dir: Path = Field(Path("callqa-data"), description="embedded default home: store, results")
    store_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the scorecard store; default SQLite in data_dir",
        repr=False,  # it may hold the database password
    )
    results_prefix: str = Field("results/", description="where transcripts/analyses are written")
    quarantine_prefix: str = Field("quarantine/", description="where bad recordings are copied")
    results_location: str | None = Field(
        None, description="s3://bucket/prefix or a folder for results; default: beside the source"
    )
    filename_pattern: str | None = Field(
        None,
        description="regex with named groups (agent_id, started_at, customer_ref, call_id, "
        "channel_layout, ring_time_s) read from each recording's file name",
    )
    s3_endpoint: str = Field("127.0.0.1:9000", description="host:port of the S3/MinIO server")
    s3_access_key: str | None = Field(None, repr=False)
    s3_secret_key: str | None = Field(None, repr=False)
    s3_region: str | None = None
    s3_secure: bool = Field(False, description="TLS to the S3 server")
    s3_ca_bundle: str | None = Field(None, description="CA file to verify the S3 server's TLS")
    s3_sse: Literal["none", "s3", "kms"] = Field("none", description="server-side encryption")
    s3_kms_key: str | None = None
    concurrency: int | Literal["auto"] = Field(
        "auto",
        description="calls processed at once in a batch; 'auto': chosen from the cores and the"
        " memory at start (core/concurrency.py), 1 thread a call while memory allows",
    )

    @field_validator("concurrency")
    @classmethod
    def _concurrency(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"concurrency {value}: give 'auto' or a whole number >= 1")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        if value != "auto" and value not in _LANGUAGE_CODES:
            raise ValueError(
                f"unknown language {value!r}; use a Whisper code such as zh or en, or auto"
            )
        return value

    @field_validator("store_url")
    @classmethod
    def _store_url(cls, value: str | None) -> str | None:
        """A URL SQLAlchemy cannot read is refused here, naming it with its password
        masked, rather than as a traceback halfway into a batch."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        from core.urls import masked_url

        if value is None:
            return value
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                f"{masked_url(value)!r} is not a database URL (expected sqlite:///FILE or "
                "postgresql://USER:PASSWORD@HOST/DB)"
            ) from None
        return value

    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{(self.data_dir / 'callqa.db').resolve()}"


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from the TOML file (if any), the environment and explicit overrides."""
    path = Path(config_file or os.environ.get("CALLQA_CONFIG") or DEFAULT_CONFIG_FILE)
    file_values: dict[str, Any] = {}
    if path.is_file():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
        file_values = file_values.get("callqa", file_values)
    elif config_file is not None:
        raise ConfigError(f"{path}: configuration file not found")
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        env_values = Settings().model_dump(exclude_unset=True) if _any_env() else {}
        return Settings.model_validate({**file_values, **env_values, **given})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"configuration ({path if path.is_file() else 'defaults'}): {problems}"
        ) from exc


def _any_env() -> bool:
    return any(
        key.startswith("CALLQA_") and key not in ("CALLQA_CONFIG", "CALLQA_CACHE")
        for key in os.environ
    )
