"""Who may see and do what: the one permission layer the pages and the API share.

=============  ==========================================================================
admin          accounts and the audit log; no call content (least privilege, policy §6.2)
qa_lead        every call: listen, read, review outcomes, training cases, escalate;
               compliance and supervisor views for every team
compliance     every call (read only), escalate; compliance view and exports; scorecards
supervisor     their own team's calls, escalate; compliance view and scorecards of the team
agent          their own calls and their own scorecards only
=============  ==========================================================================

A call outside the viewer's scope is answered 404 (its existence is not confirmed); a
feature the role lacks is answered 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import CallqaError
from storage.reads.calls import StoredCall
from storage.reads.scope import Scope
from storage.schema import User


class ConsoleError(CallqaError):
    """A request refused; ``status`` is the HTTP status it is answered with."""

    status = 400


class NotSignedIn(ConsoleError):
    status = 401


class Forbidden(ConsoleError):
    status = 403


class NotFound(ConsoleError):
    # Also what a call outside the viewer's scope is answered: its existence is not confirmed.
    reason = "not_found_or_hidden"
    status = 404


class BadRequest(ConsoleError):
    status = 400


class Unavailable(ConsoleError):
    status = 503


@dataclass(frozen=True)
class Principal:
    """The signed-in user, as the permission checks see them."""

    username: str
    role: str
    team_id: str | None = None
    agent_id: str | None = None

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(user.username, user.role, user.team_id, user.agent_id)


NOTHING = Scope()

# Feature -> roles that have it.
CAPABILITIES: dict[str, frozenset[str]] = {
    "calls": frozenset({"qa_lead", "compliance", "supervisor", "agent"}),
    "review": frozenset({"qa_lead"}),
    "training": frozenset({"qa_lead"}),
    "escalate": frozenset({"qa_lead", "compliance", "supervisor"}),
    "compliance": frozenset({"qa_lead", "compliance", "supervisor"}),
    "export": frozenset({"qa_lead", "compliance"}),
    "scorecards": frozenset({"qa_lead", "compliance", "supervisor", "agent"}),
    "team_ranking": frozenset({"qa_lead", "compliance", "supervisor"}),
    "audit": frozenset({"admin"}),
    "users": frozenset({"admin"}),
}


def can(principal: Principal, feature: str) -> bool:
    return principal.role in CAPABILITIES[feature]


def require(principal: Principal, feature: str) -> None:
    if not can(principal, feature):
        raise Forbidden(f"the {principal.role} role has no access to {feature}")


def scope_of(principal: Principal) -> Scope:
    """The calls a principal may see; ``NOTHING`` for roles that see no calls."""
    if principal.role in ("qa_lead", "compliance"):
        return Scope(everything=True)
    if principal.role == "supervisor" and principal.team_id:
        return Scope(team_id=principal.team_id)
    if principal.role == "agent" and principal.agent_id:
        return Scope(agent_id=principal.agent_id)
    return NOTHING


def check_call(principal: Principal, call: StoredCall | None) -> StoredCall:
    """The call, if the principal may see it; ``NotFound`` otherwise (also when missing)."""
    require(principal, "calls")
    scope = scope_of(principal)
    if call is None:
        raise NotFound("no such call")
    if scope.everything:
        return call
    if scope.agent_id is not None and call.agent_id == scope.agent_id:
        return call
    if scope.agent_id is None and scope.team_id is not None and call.team_id == scope.team_id:
        return call
    raise NotFound("no such call")


def nav_for(principal: Principal) -> list[tuple[str, str]]:
    """The top navigation a role gets: (label, path)."""
    items = []
    if can(principal, "calls"):
        items.append(("Calls" if principal.role != "agent" else "My calls", "/queue"))
    if can(principal, "compliance"):
        items.append(("Compliance", "/compliance"))
    if can(principal, "scorecards"):
        items.append(("Scorecards" if principal.role != "agent" else "My scorecard", "/scorecards"))
    if can(principal, "audit"):
        items.append(("Audit log", "/audit"))
    if can(principal, "users"):
        items.append(("Users", "/users"))
    return items
