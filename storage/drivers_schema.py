"""The call-driver tables (issue 12): why each call was made, what its complaint was about,
what an unmatched call said, and the driver of each survey comment. ``storage.schema``
imports this module so that its tables are part of the one ``Base.metadata`` the
migrations are checked against.

The call's month, team, agent and start are copied onto the rows (as on ``rule_results``)
so that the Drivers view's volume per driver, team and period is one index scan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema import Base


class CallDriver(Base):
    """One driver of one call; ``rank`` 0 is the call's main reason."""

    __tablename__ = "call_drivers"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    driver_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    month: Mapped[str | None] = mapped_column(String(7))
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    team_id: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_call_drivers_month_driver", "month", "driver_id", "team_id"),)


class CallComplaint(Base):
    """The call's complaint, when the customer complained: category and severity (§4.3)."""

    __tablename__ = "call_complaints"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8), doc="low | medium | high")
    score: Mapped[float] = mapped_column(Float)
    cues: Mapped[list[Any]] = mapped_column(JSON, default=list)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    month: Mapped[str | None] = mapped_column(String(7))
    team_id: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_call_complaints_month_category", "month", "category"),)


class CallUnmatched(Base):
    """A classified call that fits no driver: its telling utterances, for clustering into
    suggested new drivers (``callqa drivers suggest``)."""

    __tablename__ = "call_unmatched"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    taxonomy: Mapped[str] = mapped_column(String(256))
    utterances: Mapped[list[Any]] = mapped_column(JSON, default=list)
    month: Mapped[str | None] = mapped_column(String(7), index=True)
    team_id: Mapped[str | None] = mapped_column(String(64))


class SurveyDriver(Base):
    """The driver a survey comment is about (§5.3: feedback classified); None: no fit."""

    __tablename__ = "survey_drivers"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    driver_id: Mapped[str | None] = mapped_column(String(64), index=True)
    complaint_category: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    taxonomy: Mapped[str] = mapped_column(String(256))
