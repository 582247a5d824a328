"""An S3 bucket as an object store, through the ``minio`` client (7.2.x): MinIO, Ceph,
SeaweedFS or AWS itself.

Errors are translated at the edge (``storage.s3_connection``): a missing key or a denied
request becomes a ``StorageError`` naming ``s3://bucket/key``; a refused connection, a
timeout or a 5xx answer becomes ``StorageUnavailable`` naming the endpoint, so that callers
know a retry may help.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator, Mapping
from email.header import decode_header, make_header
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from storage.objects import (
    ObjectNotFound,
    StorageError,
    StoredObject,
    check_key,
    normalise_metadata,
)
from storage.s3_connection import (
    DENIED_CODES,
    call_translated,
    connect,
    server_side_encryption,
    split_endpoint,
)

if TYPE_CHECKING:
    from core.config import Settings

T = TypeVar("T")

_USER_METADATA_PREFIX = "x-amz-meta-"


class S3Store:
    """Objects in one bucket of an S3 server. ``version`` is the object's version id where
    the bucket is versioned, else its ETag."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint: str,
        access_key: str | None,
        secret_key: str | None,
        region: str | None = None,
        secure: bool = False,
        ca_bundle: str | Path | None = None,
        sse: Literal["none", "s3", "kms"] = "none",
        kms_key: str | None = None,
        timeout_s: float = 30.0,
        retries: int = 2,
    ) -> None:
        from minio.helpers import check_bucket_name

        self.bucket = bucket
        self.location = f"s3://{bucket}"
        self.endpoint, secure = split_endpoint(endpoint, secure)
        try:
            check_bucket_name(bucket)
        except ValueError as exc:
            raise StorageError(f"{self.location}: invalid bucket name ({exc})") from None
        self._sse = server_side_encryption(sse, kms_key)
        self._client = connect(
            self.endpoint,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            secure=secure,
            ca_bundle=ca_bundle,
            timeout_s=timeout_s,
            retries=retries,
        )

    @classmethod
    def from_settings(cls, settings: Settings, bucket: str) -> S3Store:
        return cls(
            bucket,
            endpoint=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
            secure=settings.s3_secure,
            ca_bundle=settings.s3_ca_bundle,
            sse=settings.s3_sse,
            kms_key=settings.s3_kms_key,
        )

    def __repr__(self) -> str:
        return f"S3Store({self.location!r}, endpoint={self.endpoint!r})"

    # --- reading --------------------------------------------------------------------
    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Objects under ``prefix`` in key order (S3 lists in that order). ``metadata`` is
        empty: S3 listings do not carry it; ``stat`` an object for its metadata.

        On a versioned bucket this lists object *versions*, so that ``version`` agrees with
        ``stat``; the credentials then need s3:ListBucketVersions besides s3:ListBucket.
        """
        # Only versioned buckets get the versions listing: SeaweedFS (4.48) reports other
        # ETags there than in HEAD for SSE-encrypted objects, which would make every
        # listed version look new.
        versioned = self._is_versioned()
        listing = self._client.list_objects(
            self.bucket, prefix=prefix or None, recursive=True, include_version=versioned
        )
        iterator = iter(listing)
        while True:
            item = self._call(prefix or "", lambda: next(iterator, None))
            if item is None:
                return
            key = item.object_name or ""
            latest = not versioned or str(item.is_latest).lower() == "true"
            if not latest or item.is_delete_marker or not key or key.endswith("/"):
                continue  # older versions, deleted objects and folder markers
            yield StoredObject(
                key=key,
                version=_version(item.version_id, item.etag),
                size=int(item.size or 0),
                metadata={},
                last_modified=item.last_modified,
            )

    def _is_versioned(self) -> bool:
        """Whether the bucket has (or had: 'Suspended') versioning; asked on every listing
        because versioning can be switched on at any time."""
        from minio.error import S3Error

        def status() -> str | None:
            try:
                return self._client.get_bucket_versioning(self.bucket).status
            except S3Error as exc:
                if exc.code in DENIED_CODES:
                    return "Unknown"  # may not ask: the versions listing suits both kinds
                raise

        return self._call("", status) in ("Enabled", "Suspended", "Unknown")

    def versioning(self) -> str:
        """The bucket's versioning: 'Enabled', 'Suspended' or 'Off' (never switched on).
        Versioning is what protects results from being overwritten or deleted by mistake;
        a read that is denied is ``StorageError`` (s3:GetBucketVersioning)."""
        status = self._call("", lambda: self._client.get_bucket_versioning(self.bucket).status)
        return str(status) if status else "Off"

    def stat(self, key: str) -> StoredObject:
        check_key(key, self.location)
        info = self._call(key, lambda: self._client.stat_object(self.bucket, key))
        return StoredObject(
            key=key,
            version=_version(info.version_id, info.etag),
            size=int(info.size or 0),
            metadata=_user_metadata(info.metadata),
            last_modified=info.last_modified,
        )

    def get(self, key: str) -> bytes:
        check_key(key, self.location)

        def read() -> bytes:
            response = self._client.get_object(self.bucket, key)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        return self._call(key, read)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def describe(self, key: str) -> str:
        return f"{self.location}/{key}"

    # --- writing --------------------------------------------------------------------
    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        check_key(key, self.location)
        clean = normalise_metadata(metadata, self.describe(key))
        result = self._call(
            key,
            lambda: self._client.put_object(
                self.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata=_encode_metadata(clean) or None,
                sse=self._sse,
            ),
        )
        return StoredObject(
            key=key,
            version=_version(result.version_id, result.etag),
            size=len(data),
            metadata=clean,
            last_modified=result.last_modified,
        )

    def copy(
        self, src_key: str, dst_key: str, *, metadata: Mapping[str, str] | None = None
    ) -> StoredObject:
        from minio.commonconfig import REPLACE, CopySource

        check_key(src_key, self.location)
        check_key(dst_key, self.location)
        source = self._call(src_key, lambda: self._client.stat_object(self.bucket, src_key))
        if metadata is None:
            new_metadata = _user_metadata(source.metadata)
            headers: dict[str, Any] | None = None
        else:
            new_metadata = normalise_metadata(metadata, self.describe(dst_key))
            # REPLACE replaces every header, the content type too: carry it over.
            headers = {**_encode_metadata(new_metadata), "Content-Type": source.content_type}
        result = self._call(
            dst_key,
            lambda: self._client.copy_object(
                self.bucket,
                dst_key,
                CopySource(self.bucket, src_key, version_id=source.version_id),
                sse=self._sse,
                metadata=headers,
                metadata_directive=REPLACE if headers is not None else None,
            ),
        )
        return StoredObject(
            key=dst_key,
            version=_version(result.version_id, result.etag),
            size=int(source.size or 0),
            metadata=new_metadata,
            last_modified=result.last_modified,
        )

    # --- errors ---------------------------------------------------------------------
    def _call(self, key: str, operation: Callable[[], T]) -> T:
        """Run one client call, translating what it raises into our errors."""
        where = self.describe(key) if key else self.location
        return call_translated(operation, where=where, endpoint=self.endpoint, bucket=self.bucket)


def _version(version_id: str | None, etag: str | None) -> str:
    # Unversioned buckets answer version id "null" (or nothing): fall back to the ETag.
    if version_id and version_id != "null":
        return version_id
    return (etag or "").strip('"')


def _user_metadata(headers: Any) -> dict[str, str]:
    """``x-amz-meta-*`` headers as a plain dict: lower-case names without the prefix."""
    result: dict[str, str] = {}
    for name, value in (headers or {}).items():
        lowered = str(name).lower()
        if lowered.startswith(_USER_METADATA_PREFIX):
            result[lowered.removeprefix(_USER_METADATA_PREFIX)] = _decode_header_value(str(value))
    return result


def _encode_metadata(metadata: Mapping[str, str]) -> dict[str, Any]:
    # HTTP headers are ASCII. Like AWS, carry other text as an RFC 2047 encoded word (AWS
    # decodes it on PUT and encodes it again on GET; other servers keep it as sent).
    return {
        name: value
        if value.isascii()
        else "=?UTF-8?B?" + base64.b64encode(value.encode("utf-8")).decode("ascii") + "?="
        for name, value in metadata.items()
    }


def _decode_header_value(value: str) -> str:
    if not (value.startswith("=?") and value.endswith("?=")):
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError):
        return value  # not an encoded word after all


__all__ = ["S3Store"]
