"""An S3 bucket as an object store, through the ``minio`` client (7.2.x): MinIO, Ceph,
SeaweedFS or AWS itself.

Errors are translated at this edge: a missing key or a denied request becomes a
``StorageError`` naming ``s3://bucket/key``; a refused connection, a timeout or a 5xx answer
becomes ``StorageUnavailable`` naming the endpoint, so that callers know a retry may help.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable, Iterator, Mapping
from email.header import decode_header, make_header
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, SSLError

from core.errors import ConfigError
from storage.objects import (
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    StoredObject,
    check_key,
    normalise_metadata,
)

if TYPE_CHECKING:
    from minio import Minio
    from minio.sse import Sse

    from core.config import Settings

T = TypeVar("T")

_USER_METADATA_PREFIX = "x-amz-meta-"
_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "ResourceNotFound"}
_DENIED = {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "AllAccessDisabled"}
_TRANSIENT = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"}


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
        from minio import Minio
        from minio.helpers import check_bucket_name

        self.bucket = bucket
        self.location = f"s3://{bucket}"
        self.endpoint, secure = _split_endpoint(endpoint, secure)
        try:
            check_bucket_name(bucket)
        except ValueError as exc:
            raise StorageError(f"{self.location}: invalid bucket name ({exc})") from None
        self._sse = _server_side_encryption(sse, kms_key)
        if ca_bundle is not None and not Path(ca_bundle).is_file():
            raise ConfigError(
                f"s3_ca_bundle {str(ca_bundle)!r} is not a file; give the PEM file of the CA "
                "that signed the S3 server's certificate"
            )
        # Our own pool: minio's default waits 5 minutes and retries 5 times. Here a few quick
        # retries absorb a blip; longer outages surface as StorageUnavailable for the caller's
        # own (slower) retry policy. raise_on_status=False hands the last 5xx answer back to
        # minio, so that its S3 error message reaches ours.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout_s, 10.0), read=timeout_s),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=str(ca_bundle or os.environ.get("SSL_CERT_FILE") or _certifi_bundle()),
            retries=urllib3.Retry(
                total=retries,
                backoff_factor=0.2,
                status_forcelist=[500, 502, 503, 504],
                raise_on_status=False,
            ),
        )
        self._client: Minio = Minio(
            self.endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http,
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
                if exc.code in _DENIED:
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
        from minio.error import InvalidResponseError, S3Error, ServerError

        where = self.describe(key) if key else self.location
        try:
            return operation()
        except S3Error as exc:
            raise self._s3_error(where, exc) from exc
        except ServerError as exc:
            raise self._status_error(where, exc.status_code, str(exc)) from exc
        except InvalidResponseError as exc:
            raise self._status_error(where, int(getattr(exc, "_code", 0) or 0), str(exc)) from exc
        except MaxRetryError as exc:
            if isinstance(exc.reason, SSLError):
                raise StorageError(
                    f"{where}: TLS to {self.endpoint} failed ({exc.reason}); set s3_ca_bundle "
                    "to the CA that signed the server's certificate"
                ) from exc
            raise StorageUnavailable(
                f"{where}: S3 endpoint {self.endpoint} does not answer ({exc.reason})"
            ) from exc
        except HTTPError as exc:  # timeouts and broken connections mid-answer
            raise StorageUnavailable(
                f"{where}: S3 endpoint {self.endpoint} failed mid-request ({exc})"
            ) from exc
        except ValueError as exc:  # the client's own checks: names, metadata
            raise StorageError(f"{where}: {exc}") from exc

    def _s3_error(self, where: str, exc: Any) -> StorageError:
        code = str(exc.code or "")
        status = int(getattr(exc.response, "status", 0) or 0)
        if code == "NoSuchBucket":
            return ObjectNotFound(f"{where}: bucket {self.bucket!r} does not exist")
        if code in _NOT_FOUND:
            return ObjectNotFound(f"{where}: no such object")
        if code in _DENIED or status == 403:
            return StorageError(
                f"{where}: access denied ({code}: {exc.message}); check s3_access_key, "
                "s3_secret_key and the bucket policy"
            )
        if code in _TRANSIENT or status >= 500:
            return StorageUnavailable(
                f"{where}: S3 endpoint {self.endpoint} failed ({code}: {exc.message})"
            )
        return StorageError(f"{where}: S3 refused the request ({code}: {exc.message})")

    def _status_error(self, where: str, status: int, text: str) -> StorageError:
        if status == 404:
            return ObjectNotFound(f"{where}: no such object")
        if status >= 500:
            return StorageUnavailable(f"{where}: S3 endpoint {self.endpoint} failed ({text})")
        return StorageError(f"{where}: S3 refused the request ({text})")


def _split_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    """``host:port``, also accepted as ``http://host:port`` or ``https://host:port``."""
    scheme, sep, rest = endpoint.partition("://")
    if not sep:
        return endpoint.rstrip("/"), secure
    if scheme not in ("http", "https"):
        raise ConfigError(f"s3_endpoint {endpoint!r}: expected host:port or http(s)://host:port")
    if scheme == "http" and secure:
        raise ConfigError(f"s3_endpoint {endpoint!r} says http but s3_secure is true")
    return rest.rstrip("/"), scheme == "https"


def _server_side_encryption(sse: str, kms_key: str | None) -> Sse | None:
    from minio.sse import SseKMS, SseS3

    if sse == "none":
        return None
    if sse == "s3":
        return SseS3()
    if sse == "kms":
        if not kms_key:
            raise ConfigError("s3_sse = 'kms' needs s3_kms_key (the KMS key id to encrypt with)")
        return SseKMS(kms_key, {})
    raise ConfigError(f"s3_sse {sse!r}: expected 'none', 's3' or 'kms'")


def _certifi_bundle() -> str:
    import certifi

    return str(certifi.where())


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


__all__ = ["S3Store", "results_versioning_warning"]
