"""Prefect orchestration of the pipeline: the only package that imports Prefect.

Planned by issue 4; nothing here yet.
"""
