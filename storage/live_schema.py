"""The live tables (issue 12): calls in progress, their rolling redacted transcript and the
alerts raised while they are on. ``storage.schema`` imports this module so that its tables
are part of the one ``Base.metadata`` the migrations are checked against.

A live call is not the record: when it ends the recording goes through the batch path and
lands in ``calls``. So these tables have no foreign key to ``calls`` or ``agents`` (a live
call starts before the batch path has ever seen its agent); the console finds the team of a
live call through ``agents`` when it reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema import Base


class LiveCall(Base):
    """A call streamed to ``callqa live``: open while ``closed_at`` is None."""

    __tablename__ = "live_calls"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(1024), doc="the file or stream it came from")
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    reconnects: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    close_reason: Mapped[str | None] = mapped_column(Text)
    recording_path: Mapped[str | None] = mapped_column(
        String(1024), doc="the audio received, kept for the batch path"
    )


class LiveSegment(Base):
    """One final stretch of redacted speech; ``id`` orders segments across calls, so that a
    console stream asks for everything after the last id it sent."""

    __tablename__ = "live_segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("live_calls.id", ondelete="CASCADE"))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    speaker: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_live_segments_call", "call_id", "id"),)


class LiveAlert(Base):
    """A live rule fired on a call: once per call and rule (a reconnected stream that fires
    it again finds it stored)."""

    __tablename__ = "live_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("live_calls.id", ondelete="CASCADE"))
    t: Mapped[float] = mapped_column(Float, doc="seconds of call time")
    rule_id: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("call_id", "rule_id", name="uq_live_alerts_call_rule"),)
