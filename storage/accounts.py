"""Console accounts in the store's ``users`` table: found, added, changed, listed, removed.

Only the reads and writes live here; what an account may be (roles, scopes, password rules)
and how its password is hashed is the console's (``console.auth``, ``console.accounts``).
Changes are made to the ``User`` row of the caller's transaction and written when it
commits, with whatever else that transaction does (its audit entry, its ended sessions).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.schema import Agent, Team, User


def find_user(session: Session, username: str) -> User | None:
    return session.get(User, username)


def add_user(
    session: Session,
    *,
    username: str,
    password_hash: str,
    role: str,
    team_id: str | None,
    agent_id: str | None,
    created_at: datetime,
) -> User:
    """Inserts an active account (flushed at once, so a taken name fails here)."""
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        team_id=team_id,
        agent_id=agent_id,
        active=True,
        created_at=created_at,
    )
    session.add(user)
    session.flush()
    return user


def set_role(user: User, role: str, team_id: str | None, agent_id: str | None) -> None:
    user.role, user.team_id, user.agent_id = role, team_id, agent_id


def set_password_hash(user: User, password_hash: str) -> None:
    user.password_hash = password_hash


def set_active(user: User, active: bool) -> None:
    user.active = active


def delete_user(session: Session, user: User) -> None:
    session.delete(user)


def users_by_name(session: Session) -> list[User]:
    """Every account, in user-name order."""
    return list(session.scalars(select(User).order_by(User.username)))


def team_exists(session: Session, team_id: str) -> bool:
    return session.get(Team, team_id) is not None


def find_agent(session: Session, agent_id: str) -> Agent | None:
    return session.get(Agent, agent_id)
