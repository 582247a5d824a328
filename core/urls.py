"""Store URLs as they may be shown: the one place that decides how a password is hidden."""

from __future__ import annotations

import contextlib
import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# The password of user:password@host, up to the last @ before the query: SQLAlchemy takes
# it up to the first @, so a password with an unencoded @ would half show.
_USERINFO_PASSWORD = re.compile(r"^((?:[\w+.-]+://)?[^:/@?]*):([^?]*)@")


def masked_url(url: str) -> str:
    """``url`` as it may be shown in a message, a log line or a table: the password as ***,
    also when the URL does not parse."""
    try:
        if make_url(url).password is None:
            return url
    except ArgumentError:
        pass
    return _USERINFO_PASSWORD.sub(r"\1:***@", url)


def has_password(url: str) -> bool:
    """Whether ``url`` carries a password (one that must not be stored or shown)."""
    try:
        return make_url(url).password is not None
    except ArgumentError:
        return _USERINFO_PASSWORD.match(url) is not None


def without_password(message: str, url: str | None) -> str:
    """``message`` (a driver's error, which may quote the URL it was given) with the
    password of ``url`` taken out, as written in the URL and as decoded, also when the URL
    does not parse."""
    found = _USERINFO_PASSWORD.match(url or "")
    passwords = {found.group(2)} if found else set()
    with contextlib.suppress(ArgumentError):
        passwords.add(str(make_url(url or "").password or ""))
    for password in sorted(filter(None, passwords), key=len, reverse=True):
        message = message.replace(password, "***")
    return message
