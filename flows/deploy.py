"""Beyond one machine: the ``process-batch`` flow as a deployment on a process work pool.

Every worker machine has callqa installed (the same two commands as anywhere), its own
``callqa.toml`` or ``CALLQA_*`` environment with the store URL and S3 credentials, and
``PREFECT_API_URL`` pointing at the Prefect server. The deployment names the flow by
module path, so a worker runs the callqa it has installed: no image, no code upload.
"""

from __future__ import annotations

import contextlib

DEPLOYMENT = "callqa"
POOL = "callqa"


def ensure_pool(pool: str = POOL) -> None:
    """Creates the process work pool if it does not exist yet."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"))


def deploy(pool: str = POOL, name: str = DEPLOYMENT) -> str:
    """Registers the deployment; returns its full name for ``callqa process --deployment``."""
    from prefect.deployments.runner import EntrypointType

    from flows.process import process_batch

    ensure_pool(pool)
    process_batch.deploy(
        name=name,
        work_pool_name=pool,
        build=False,
        push=False,
        entrypoint_type=EntrypointType.MODULE_PATH,
        print_next_steps=False,
        description="A chunk of a callqa batch: fetch, transcribe, analyse, store.",
    )
    return f"{process_batch.name}/{name}"
