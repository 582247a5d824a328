"""Prefect orchestration of the pipeline: the only package that imports Prefect.

``prefect_env`` is imported first, here, so that callqa's Prefect defaults (offline, quiet)
are in the environment before any module of this package imports Prefect.
"""

from flows import prefect_env as _prefect_env  # noqa: F401
