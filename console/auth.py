"""Local accounts' passwords and the rules an account must meet.

Passwords are hashed with argon2id. Signing in and out is ``console.signin``; sessions are
server-side (``console.sessions``); adding, changing and removing accounts, with an audit
entry each, is ``console.accounts``.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import CallqaError
from storage import accounts as stored
from storage.database import Session
from storage.schema import User

ROLES = ("admin", "qa_lead", "compliance", "supervisor", "agent")
COOKIE = "callqa_session"
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# Verifying against this when the user is unknown keeps sign-in time the same either way.
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountError(CallqaError):
    """An account cannot be created or changed as asked (unknown role, missing team, ...)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nothing(password: str) -> None:
    """Spends the time of a real check, for a name that is no (active) account."""
    verify_password(_DUMMY_HASH, password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")


def check_role(
    session: Session, role: str, team_id: str | None, agent_id: str | None
) -> str | None:
    """Checks that ``role`` exists and has the scope it needs; returns the team (an agent's
    team comes from the agent when not given)."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if role == "supervisor" and not team_id:
        raise AccountError("a supervisor sees one team's calls: give --team")
    if role == "agent" and not agent_id:
        raise AccountError("an agent sees their own calls: give --agent")
    if team_id is not None and not stored.team_exists(session, team_id):
        raise AccountError(f"no team {team_id!r} in the store")
    if agent_id is not None:
        agent = stored.find_agent(session, agent_id)
        if agent is None:
            raise AccountError(f"no agent {agent_id!r} in the store")
        team_id = team_id or agent.team_id
    return team_id


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    team_id: str | None = None,
    agent_id: str | None = None,
) -> User:
    """Adds a new account; an existing name is refused (``console.accounts`` changes
    existing accounts, with an audit entry)."""
    from storage.results import utcnow

    if not username or len(username) > 64 or not username.isprintable():
        raise AccountError(f"username {username!r}: 1-64 printable characters expected")
    if stored.find_user(session, username) is not None:
        raise AccountError(
            f"account {username!r} exists: change its password with `callqa users passwd "
            f"{username}`, or give --force to replace its role"
        )
    team_id = check_role(session, role, team_id, agent_id)
    check_password(password)
    return stored.add_user(
        session,
        username=username,
        password_hash=hash_password(password),
        role=role,
        team_id=team_id,
        agent_id=agent_id,
        created_at=utcnow(),
    )
