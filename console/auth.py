"""Local accounts and the session cookie.

Passwords are hashed with argon2id. The session cookie is ``payload.signature``: the
payload (username, expiry, a fingerprint of the password hash, so that changing a password
signs every old session out) in URL-safe base64, signed with HMAC-SHA256 under the
console's secret. It is set httponly and samesite=strict.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from callqa.errors import CallqaError
from storage.schema import Agent, Team, User

ROLES = ("admin", "qa_lead", "compliance", "supervisor", "agent")
COOKIE = "callqa_session"
SESSION_SECONDS = 8 * 3600  # one shift

_hasher = PasswordHasher()
# Verifying against this when the user is unknown keeps sign-in time the same either way.
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountError(CallqaError):
    """An account cannot be created as asked (unknown role, missing team, ...)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    team_id: str | None = None,
    agent_id: str | None = None,
) -> User:
    """Adds an account (or replaces the password and role of an existing one)."""
    from storage.results import utcnow

    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if not username or len(username) > 64 or not username.isprintable():
        raise AccountError(f"username {username!r}: 1-64 printable characters expected")
    if len(password) < 8:
        raise AccountError("the password is too short: use at least 8 characters")
    if role == "supervisor" and not team_id:
        raise AccountError("a supervisor sees one team's calls: give --team")
    if role == "agent" and not agent_id:
        raise AccountError("an agent sees their own calls: give --agent")
    if team_id is not None and session.get(Team, team_id) is None:
        raise AccountError(f"no team {team_id!r} in the store")
    if agent_id is not None:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise AccountError(f"no agent {agent_id!r} in the store")
        team_id = team_id or agent.team_id
    user = session.get(User, username) or User(username=username, created_at=utcnow())
    user.password_hash = hash_password(password)
    user.role = role
    user.team_id = team_id
    user.agent_id = agent_id
    user.active = True
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.get(User, username)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


@dataclass(frozen=True)
class SessionData:
    username: str
    fingerprint: str
    expires: int


def fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


class CookieSigner:
    """Signs and checks session cookies with HMAC-SHA256."""

    def __init__(self, secret: str | bytes | None = None) -> None:
        if secret is None:
            secret = secrets.token_bytes(32)  # sessions then end when the server restarts
        self._key = secret.encode() if isinstance(secret, str) else secret

    def _sign(self, payload: bytes) -> str:
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def dumps(self, user: User, *, seconds: int = SESSION_SECONDS) -> str:
        body = {"u": user.username, "f": fingerprint(user), "e": int(time.time()) + seconds}
        payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=")
        return f"{payload.decode()}.{self._sign(payload)}"

    def loads(self, cookie: str | None) -> SessionData | None:
        if not cookie or cookie.count(".") != 1:
            return None
        payload, signature = cookie.split(".")
        if not hmac.compare_digest(self._sign(payload.encode()), signature):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            data = SessionData(str(body["u"]), str(body["f"]), int(body["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return data if data.expires > time.time() else None
