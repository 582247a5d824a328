"""Whether the batch's results are protected by S3 bucket versioning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.objects import StorageError
from storage.s3 import S3Store

if TYPE_CHECKING:
    from core.config import Settings


def results_versioning_warning(source: str, settings: Settings) -> str | None:
    """A warning when the batch's results go to an S3 bucket whose versioning is not on
    (results are then one overwrite or delete away from loss), else None. Results go to
    ``results_location`` if set, else beside the recordings in the source's bucket. A
    server that cannot be asked gives no warning: the batch reports that itself."""
    location = settings.results_location or source
    if not location.startswith("s3://"):
        return None
    bucket = location.removeprefix("s3://").partition("/")[0]
    try:
        status = S3Store.from_settings(settings, bucket).versioning()
    except StorageError:
        return None
    if status == "Enabled":
        return None
    return (
        f"the results bucket s3://{bucket} has versioning {status.lower()}: an overwritten or "
        f"deleted result cannot be recovered. Switch it on: mc version enable ALIAS/{bucket} "
        f"(or aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration "
        "Status=Enabled); see docs/operations.md"
    )


__all__ = ["results_versioning_warning"]
