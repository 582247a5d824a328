"""Which calls a read may see, as WHERE clauses: decided by the console's permissions
(console/permissions.py), applied here where the SQL is written."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, true

from storage.schema import Call, RuleOutcome


@dataclass(frozen=True)
class Scope:
    """The calls (and agents) a principal may see: everything, a team, or one agent."""

    everything: bool = False
    team_id: str | None = None
    agent_id: str | None = None

    def calls(self) -> ColumnElement[bool]:
        """A WHERE clause on ``calls`` for this scope."""
        if self.everything:
            return true()
        clauses = []
        if self.team_id is not None:
            clauses.append(Call.team_id == self.team_id)
        if self.agent_id is not None:
            clauses.append(Call.agent_id == self.agent_id)
        return and_(*clauses) if clauses else false()

    def rule_outcomes(self) -> ColumnElement[bool]:
        """The same scope as a WHERE clause on ``rule_results`` (which carries its call's
        team and agent), so that adherence needs no join."""
        if self.everything:
            return true()
        clauses = []
        if self.team_id is not None:
            clauses.append(RuleOutcome.team_id == self.team_id)
        if self.agent_id is not None:
            clauses.append(RuleOutcome.agent_id == self.agent_id)
        return and_(*clauses) if clauses else false()

    def allows_team(self, team_id: str | None) -> bool:
        return self.everything or (self.agent_id is None and team_id == self.team_id)

    def allows_agent(self, agent_id: str | None, agent_team: str | None) -> bool:
        if self.everything:
            return True
        if self.agent_id is not None:
            return agent_id == self.agent_id
        return self.team_id is not None and agent_team == self.team_id
