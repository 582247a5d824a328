"""Managing console accounts (``callqa users ...``): each change is written to the audit
log under the name of whoever made it (``cli:<os user>``), never with a password, and
every change that takes access away ends the account's sessions at once.

``add`` refuses an existing name: resetting a password is ``set_password``, and replacing
an account's role needs ``replace_role=True`` (``--force``), so a typo cannot silently turn
an agent's account into an admin's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from console import audit, sessions, throttle
from console.auth import AccountError, check_password, check_role, create_user, hash_password
from storage import accounts as stored
from storage.database import Session
from storage.schema import User


@dataclass(frozen=True)
class Account:
    """An account as listed: never its password hash."""

    username: str
    role: str
    team_id: str | None
    agent_id: str | None
    active: bool
    created_at: datetime


def _now() -> datetime:
    from storage.results import utcnow

    return utcnow()


def _existing(session: Session, username: str) -> User:
    user = stored.find_user(session, username)
    if user is None:
        raise AccountError(f"no account {username!r}: `callqa users list` shows them")
    return user


def _scope(role: str, team_id: str | None, agent_id: str | None) -> str:
    return role + "".join(f" {k}={v}" for k, v in (("team", team_id), ("agent", agent_id)) if v)


def refuse_existing(session: Session, username: str) -> None:
    """Raises ``AccountError`` if ``username`` is taken, saying what to do instead."""
    user = stored.find_user(session, username)
    if user is not None:
        raise AccountError(
            f"account {username!r} exists ({user.role}): change its password with "
            f"`callqa users passwd {username}`, or give --force to replace its role"
        )


def add(
    session: Session,
    actor: str,
    username: str,
    password: str,
    role: str,
    *,
    team_id: str | None = None,
    agent_id: str | None = None,
    replace_role: bool = False,
) -> str:
    """Adds an account; with ``replace_role`` an existing one gets the new role and
    password (its sessions end). Returns what was done, for the operator."""
    user = stored.find_user(session, username)
    if user is None:
        user = create_user(session, username, password, role, team_id=team_id, agent_id=agent_id)
        audit.record(
            session, actor, "account.add", username, detail=_scope(role, user.team_id, agent_id)
        )
        return f"{username}: {role} account added"
    if not replace_role:
        refuse_existing(session, username)
    team_id = check_role(session, role, team_id, agent_id)
    check_password(password)
    before = _scope(user.role, user.team_id, user.agent_id)
    stored.set_role(user, role, team_id, agent_id)
    stored.set_password_hash(user, hash_password(password))
    ended = sessions.end_sessions_of(session, username, _now())
    audit.record(
        session,
        actor,
        "account.role",
        username,
        detail=f"{before} -> {_scope(role, team_id, agent_id)}; password changed; "
        f"{ended} session(s) ended",
    )
    return f"{username}: now {role} (was {before}), new password, {ended} session(s) ended"


def set_password(session: Session, actor: str, username: str, password: str) -> str:
    """A new password for ``username``; every session signed in with the old one ends."""
    user = _existing(session, username)
    check_password(password)
    stored.set_password_hash(user, hash_password(password))
    ended = sessions.end_sessions_of(session, username, _now())
    audit.record(session, actor, "account.passwd", username, detail=f"{ended} session(s) ended")
    return f"{username}: password changed, {ended} session(s) ended"


def disable(session: Session, actor: str, username: str) -> str:
    """Stops ``username`` signing in and ends its sessions (enabling it again does not
    bring them back)."""
    user = _existing(session, username)
    stored.set_active(user, False)
    ended = sessions.end_sessions_of(session, username, _now())
    audit.record(session, actor, "account.disable", username, detail=f"{ended} session(s) ended")
    return f"{username}: disabled, {ended} session(s) ended"


def enable(session: Session, actor: str, username: str) -> str:
    user = _existing(session, username)
    stored.set_active(user, True)
    audit.record(session, actor, "account.enable", username)
    return f"{username}: enabled (it signs in afresh)"


def remove(session: Session, actor: str, username: str) -> str:
    """Removes the account, its sessions and its sign-in failures; the audit log keeps
    what it did."""
    user = _existing(session, username)
    ended = sessions.end_sessions_of(session, username, _now())
    sessions.forget_sessions_of(session, username)
    throttle.forget(session, throttle.account_key(username))
    stored.delete_user(session, user)
    audit.record(session, actor, "account.remove", username, detail=f"{ended} session(s) ended")
    return f"{username}: removed, {ended} session(s) ended"


def listing(session: Session) -> list[Account]:
    return [
        Account(u.username, u.role, u.team_id, u.agent_id, u.active, u.created_at)
        for u in stored.users_by_name(session)
    ]
