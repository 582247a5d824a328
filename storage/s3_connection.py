"""Connecting to an S3 server through the ``minio`` client (7.2.x), and translating what
the client raises.

Errors are translated at this edge: a missing key or a denied request becomes a
``StorageError`` naming ``s3://bucket/key``; a refused connection, a timeout or a 5xx answer
becomes ``StorageUnavailable`` naming the endpoint, so that callers know a retry may help.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, SSLError

from core.errors import ConfigError
from storage.objects import ObjectNotFound, StorageError, StorageUnavailable

if TYPE_CHECKING:
    from minio import Minio
    from minio.sse import Sse

T = TypeVar("T")

NOT_FOUND_CODES = {"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "ResourceNotFound"}
DENIED_CODES = {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "AllAccessDisabled"}
TRANSIENT_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"}


def connect(
    endpoint: str,
    *,
    access_key: str | None,
    secret_key: str | None,
    region: str | None,
    secure: bool,
    ca_bundle: str | Path | None,
    timeout_s: float,
    retries: int,
) -> Minio:
    """A client for ``endpoint`` (``host:port``) on our own connection pool."""
    from minio import Minio

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
    return Minio(
        endpoint,
        access_key=access_key,
        secret_key=secret_key,
        secure=secure,
        region=region,
        http_client=http,
    )


def call_translated(operation: Callable[[], T], *, where: str, endpoint: str, bucket: str) -> T:
    """Run one client call, translating what it raises into our errors about ``where``."""
    from minio.error import InvalidResponseError, S3Error, ServerError

    try:
        return operation()
    except S3Error as exc:
        raise _s3_error(where, endpoint, bucket, exc) from exc
    except ServerError as exc:
        raise _status_error(where, endpoint, exc.status_code, str(exc)) from exc
    except InvalidResponseError as exc:
        status = int(getattr(exc, "_code", 0) or 0)
        raise _status_error(where, endpoint, status, str(exc)) from exc
    except MaxRetryError as exc:
        if isinstance(exc.reason, SSLError):
            raise StorageError(
                f"{where}: TLS to {endpoint} failed ({exc.reason}); set s3_ca_bundle "
                "to the CA that signed the server's certificate"
            ) from exc
        raise StorageUnavailable(
            f"{where}: S3 endpoint {endpoint} does not answer ({exc.reason})"
        ) from exc
    except HTTPError as exc:  # timeouts and broken connections mid-answer
        raise StorageUnavailable(
            f"{where}: S3 endpoint {endpoint} failed mid-request ({exc})"
        ) from exc
    except ValueError as exc:  # the client's own checks: names, metadata
        raise StorageError(f"{where}: {exc}") from exc


def _s3_error(where: str, endpoint: str, bucket: str, exc: Any) -> StorageError:
    code = str(exc.code or "")
    status = int(getattr(exc.response, "status", 0) or 0)
    if code == "NoSuchBucket":
        return ObjectNotFound(f"{where}: bucket {bucket!r} does not exist")
    if code in NOT_FOUND_CODES:
        return ObjectNotFound(f"{where}: no such object")
    if code in DENIED_CODES or status == 403:
        return StorageError(
            f"{where}: access denied ({code}: {exc.message}); check s3_access_key, "
            "s3_secret_key and the bucket policy"
        )
    if code in TRANSIENT_CODES or status >= 500:
        return StorageUnavailable(f"{where}: S3 endpoint {endpoint} failed ({code}: {exc.message})")
    return StorageError(f"{where}: S3 refused the request ({code}: {exc.message})")


def _status_error(where: str, endpoint: str, status: int, text: str) -> StorageError:
    if status == 404:
        return ObjectNotFound(f"{where}: no such object")
    if status >= 500:
        return StorageUnavailable(f"{where}: S3 endpoint {endpoint} failed ({text})")
    return StorageError(f"{where}: S3 refused the request ({text})")


def split_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    """``host:port``, also accepted as ``http://host:port`` or ``https://host:port``."""
    scheme, sep, rest = endpoint.partition("://")
    if not sep:
        return endpoint.rstrip("/"), secure
    if scheme not in ("http", "https"):
        raise ConfigError(f"s3_endpoint {endpoint!r}: expected host:port or http(s)://host:port")
    if scheme == "http" and secure:
        raise ConfigError(f"s3_endpoint {endpoint!r} says http but s3_secure is true")
    return rest.rstrip("/"), scheme == "https"


def server_side_encryption(sse: str, kms_key: str | None) -> Sse | None:
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
