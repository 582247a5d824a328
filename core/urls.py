"""Store URLs as they may be shown: the one place that decides how a password is hidden."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# The password of user:password@host, up to the last @ before the query: SQLAlchemy takes
# it up to the first @, so a password with an unencoded @ would half show.
_USERINFO_PASSWORD = re.compile(r"^((?:[\w+.-]+://)?[^:/@?]*):[^?]*@")


def masked_url(url: str) -> str:
    """``url`` as it may be shown in a message, a log line or a table: the password as ***,
    also when the URL does not parse."""
    try:
        if make_url(url).password is None:
            return url
    except ArgumentError:
        pass
    return _USERINFO_PASSWORD.sub(r"\1:***@", url)
