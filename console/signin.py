"""Signing in and out: the throttle checked first, the password verified at most
``concurrent_checks`` at a time, a server-side session opened, every step audited.

A locked account or address is refused before its password is verified, so a flood of
attempts costs a database read each, not 64 MiB of argon2 each; the few verifications
that do run wait their turn at a semaphore rather than run all at once.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime

from console import audit, sessions, throttle
from console.auth import verify_nothing, verify_password
from console.permissions import ConsoleError, Unavailable
from console.sessions import SessionRules
from console.throttle import ThrottleRules
from storage.accounts import find_user
from storage.database import Session, Store
from storage.schema import User

# What the audit log says for a name that is no account: it may be a password typed into
# the user-name field, so it is never written down.
UNKNOWN_ACCOUNT = "(unknown account)"


class TooManySignIns(ConsoleError):
    """Sign-in refused without checking the password: too many recent failures."""

    status = 429

    def __init__(self, until: datetime, now: datetime) -> None:
        self.retry_after = max(1, math.ceil((until - now).total_seconds()))
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(
            f"too many failed sign-ins: try again after {until:%H:%M} UTC "
            f"(in {minutes} minute{'s' if minutes != 1 else ''})"
        )


class SignInBusy(Unavailable):
    """More sign-ins at once than the server verifies in parallel."""

    retry_after = 2


@dataclass(frozen=True)
class SignInRules:
    """The console's sign-in settings (``create_app(..., sign_in=SignInRules(...))``)."""

    throttle: ThrottleRules = field(default_factory=ThrottleRules)
    sessions: SessionRules = field(default_factory=SessionRules)
    concurrent_checks: int = 4  # argon2 verifications at once, 64 MiB of memory each
    wait_seconds: float = 2.0  # for a verification slot, before answering 503


class SignIns:
    """Signs users in and out of one console over ``store``."""

    def __init__(self, store: Store, rules: SignInRules | None = None) -> None:
        self.store = store
        self.rules = rules or SignInRules()
        self._checks = threading.BoundedSemaphore(self.rules.concurrent_checks)

    def sign_in(self, username: str, password: str, client: str | None) -> str | None:
        """The new session's token, or None for a wrong name or password.

        Raises ``TooManySignIns`` (429) while the account or the address is locked, and
        when this failure locks it; ``SignInBusy`` (503) when no verification slot frees
        up in time."""
        from storage.results import utcnow

        now = utcnow()
        with self.store.session() as session:
            user = find_user(session, username) if 0 < len(username) <= 64 else None
            known = user.username if user is not None else None
            stored_hash = user.password_hash if user is not None and user.active else None
            keys = [throttle.address_key(client or "unknown")]
            if known is not None:
                keys.insert(0, throttle.account_key(known))
            locked = throttle.locked_until(session, keys, now)
        if locked is not None:
            raise TooManySignIns(locked, now)
        if not self._checks.acquire(timeout=self.rules.wait_seconds):
            raise SignInBusy("too many sign-ins at once: try again in a few seconds")
        try:
            if stored_hash is None:
                verify_nothing(password)  # as slow as a real check: names are not revealed
                right = False
            else:
                right = verify_password(stored_hash, password)
        finally:
            self._checks.release()
        now = utcnow()
        with self.store.session() as session:
            if right and known is not None:
                token = self._open(session, known, now, client)
                if token is not None:
                    return token
            locked = self._fail(session, known, keys, now, client)
        if locked is not None:
            raise TooManySignIns(locked, now)
        return None

    def _open(
        self, session: Session, username: str, now: datetime, client: str | None
    ) -> str | None:
        user = find_user(session, username)
        if user is None or not user.active:  # disabled while its password was checked
            return None
        throttle.clear(session, throttle.account_key(username))
        audit.record(session, username, "sign_in", "console", client=client)
        return sessions.open_session(session, user, self.rules.sessions, now, client)

    def _fail(
        self,
        session: Session,
        known: str | None,
        keys: list[str],
        now: datetime,
        client: str | None,
    ) -> datetime | None:
        """Audits and counts a failure; returns until when the account or the address is
        now locked (by this failure, or by a parallel one while this password was checked),
        or None."""
        who = known or UNKNOWN_ACCOUNT
        audit.record(session, who, "sign_in_failed", "console", client=client)
        rules = self.rules.throttle
        for key in keys:
            until = throttle.record_failure(session, key, rules, now)
            if until is None:
                continue
            window = math.ceil(rules.window_seconds / 60)
            audit.record(
                session,
                who,
                "sign_in_locked",
                key,
                detail=f"{rules.limit(key)} failed sign-ins within {window} min: "
                f"locked until {until:%Y-%m-%d %H:%M:%S} UTC",
                client=client,
            )
        return throttle.locked_until(session, keys, now)

    def user_of(self, session: Session, token: str | None) -> User | None:
        """The account a session cookie signs in, within the request's transaction."""
        from storage.results import utcnow

        return sessions.user_of(session, token, self.rules.sessions, utcnow())

    def sign_out(self, token: str | None, client: str | None) -> None:
        """Ends the session ``token`` opens, so a copy of the cookie is of no further use."""
        from storage.results import utcnow

        with self.store.session() as session:
            username = sessions.end_session(session, token, utcnow())
            if username is not None:
                audit.record(session, username, "sign_out", "console", client=client)
