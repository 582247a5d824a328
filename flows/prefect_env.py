"""Prefect settings callqa needs offline, set before Prefect is first imported.

Analytics off (else Prefect looks up a telemetry host), a generous start-up time for the
ephemeral API on 2-core machines, and quiet console logs unless asked for. Explicit
environment values win.
"""

from __future__ import annotations

import os

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
}

for _name, _value in DEFAULTS.items():
    os.environ.setdefault(_name, _value)
