"""The console's sign-in, sessions and request checks, attacked the way issue 10 did: the
real app through FastAPI's TestClient over a real SQLite store, and ``callqa users`` run
through Typer's CliRunner against that store."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests import console_fixtures
from tests.console_fixtures import PASSWORD, ConsoleData

console_data = console_fixtures.console_data  # the store with calls, for the cache headers

HOST = "testserver"  # what TestClient sends as Host; no app below trusts it by default
ORIGIN = {"Origin": f"http://{HOST}"}


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A fresh store with two accounts and no calls: each test counts its own failures."""
    from console.auth import create_user
    from storage.database import Store

    url = f"sqlite:///{tmp_path / 'callqa.db'}"
    store = Store(url)
    with store.session() as session:
        create_user(session, "qa", PASSWORD, "qa_lead")
        create_user(session, "admin", PASSWORD, "admin")
    store.close()
    return url


def make_app(url: str, tmp_path: Path, **settings):  # type: ignore[no-untyped-def]
    from console import FolderAudio, create_app

    settings.setdefault("allowed_hosts", [HOST])
    return create_app(url, FolderAudio(tmp_path), **settings)


def client(app, address: str = "192.0.2.10") -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, headers=ORIGIN, client=(address, 50000))


def sign_in(c: TestClient, username: str = "qa", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return c.post("/api/session", json={"username": username, "password": password})


def rows(url: str, table, **where):  # type: ignore[no-untyped-def]
    from storage.database import Store

    store = Store(url, migrate_schema=False)
    try:
        with store.session() as session:
            query = select(table)
            for key, value in where.items():
                query = query.where(getattr(table, key) == value)
            return list(session.scalars(query))
    finally:
        store.close()


def audit(url: str, **where: str) -> list:
    from storage.schema import AuditEntry

    return rows(url, AuditEntry, **where)


def shift(url: str, table, column: str, by: timedelta, **where: str) -> None:  # type: ignore[no-untyped-def]
    """Moves a stored time, as if the clock had run on (sessions, lockouts)."""
    from storage.database import Store

    store = Store(url, migrate_schema=False)
    with store.session() as session:
        query = select(table)
        for key, value in where.items():
            query = query.where(getattr(table, key) == value)
        for row in session.scalars(query):
            setattr(row, column, getattr(row, column) + by)
    store.close()


# --- throttling -------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_and_the_right_one_then_gets_429(store_url, tmp_path):
    from storage.schema import SignInThrottle

    app = make_app(store_url, tmp_path)
    attacker = client(app)
    answers = [sign_in(attacker, password=f"guess {n}").status_code for n in range(6)]
    assert answers == [401, 401, 401, 401, 429, 429]
    right = sign_in(attacker)
    assert right.status_code == 429
    assert 800 < int(right.headers["retry-after"]) <= 900
    assert "try again after" in right.json()["detail"]
    assert "callqa_session" not in attacker.cookies
    # locked attempts were refused before their password was verified: 5 failures counted
    assert len(audit(store_url, action="sign_in_failed", username="qa")) == 5
    (locked,) = audit(store_url, action="sign_in_locked")
    assert locked.username == "qa" and locked.target == "user:qa"
    assert "5 failed sign-ins within 15 min" in (locked.detail or "")
    # the lock is the account's: the owner from another address is refused too
    assert sign_in(client(app, "198.51.100.7")).status_code == 429
    # once the lockout has passed, the right password works
    shift(store_url, SignInThrottle, "locked_until", -timedelta(minutes=16), key="user:qa")
    assert sign_in(client(app, "198.51.100.7")).status_code == 200


def test_the_sign_in_page_says_when_to_retry(store_url, tmp_path):
    from console.signin import SignInRules
    from console.throttle import ThrottleRules

    rules = SignInRules(throttle=ThrottleRules(account_failures=2, lockout_seconds=120))
    browser = client(make_app(store_url, tmp_path, sign_in=rules))
    form = {"username": "qa", "password": "wrong one", "next": "/queue"}
    assert browser.post("/login", data=form).status_code == 401
    assert browser.post("/login", data=form).status_code == 429  # this failure locked it
    locked = browser.post("/login", data={**form, "password": PASSWORD})
    assert locked.status_code == 429
    assert 100 < int(locked.headers["retry-after"]) <= 120
    assert "Too many failed sign-ins: try again after" in locked.text
    assert "(in 2 minutes)" in locked.text


def test_too_many_failures_from_one_address_lock_the_address(store_url, tmp_path):
    from console.signin import SignInRules
    from console.throttle import ThrottleRules

    rules = SignInRules(throttle=ThrottleRules(account_failures=5, address_failures=3))
    app = make_app(store_url, tmp_path, sign_in=rules)
    sprayer = client(app, "203.0.113.5")
    names = ("root", "administrator", "oracle", "qa")
    answers = [sign_in(sprayer, name, "Summer2026!").status_code for name in names]
    assert answers == [401, 401, 429, 429]
    assert sign_in(sprayer).status_code == 429  # the right password, from that address
    assert sign_in(client(app, "203.0.113.6")).status_code == 200  # from another
    (locked,) = audit(store_url, action="sign_in_locked")
    assert locked.target == "addr:203.0.113.5" and locked.username == "(unknown account)"


def test_a_successful_sign_in_clears_the_accounts_failures(store_url, tmp_path):
    app = make_app(store_url, tmp_path)
    owner = client(app)
    for _ in range(4):
        assert sign_in(owner, password="typo").status_code == 401
    assert sign_in(owner).status_code == 200
    for _ in range(4):
        assert sign_in(owner, password="typo").status_code == 401
    assert sign_in(owner).status_code == 200


def test_parallel_password_checks_are_bounded(store_url, tmp_path):
    from console.signin import SignInRules
    from console.throttle import ThrottleRules

    rules = SignInRules(
        throttle=ThrottleRules(account_failures=100, address_failures=100),
        concurrent_checks=1,
        wait_seconds=0.0,
    )
    app = make_app(store_url, tmp_path, sign_in=rules)
    start = threading.Barrier(6)
    answers: list[tuple[int, str | None]] = []

    def attempt() -> None:
        c = client(app)
        start.wait()
        r = sign_in(c, password="parallel guess")
        answers.append((r.status_code, r.headers.get("retry-after")))

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in answers)
    assert set(codes) <= {401, 503} and 401 in codes and 503 in codes, codes
    assert all(after == "2" for code, after in answers if code == 503)


# --- sessions ---------------------------------------------------------------------------


def test_a_cookie_kept_from_before_sign_out_is_refused(store_url, tmp_path):
    app = make_app(store_url, tmp_path)
    for sign_out in ("page", "api"):
        user = client(app)
        assert sign_in(user).status_code == 200
        kept = user.cookies["callqa_session"]
        if sign_out == "page":
            r = user.post("/logout", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/login"
        else:
            assert user.delete("/api/session").status_code == 200
        thief = client(app)
        thief.cookies.set("callqa_session", kept)
        assert thief.get("/api/me").status_code == 401, sign_out
        page = thief.get("/queue", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert len(audit(store_url, action="sign_out", username="qa")) == 2


def test_the_cookie_holds_a_random_token_the_store_only_its_hash(store_url, tmp_path):
    import hashlib

    from storage.schema import ConsoleSession

    user = client(make_app(store_url, tmp_path))
    assert sign_in(user).status_code == 200
    token = user.cookies["callqa_session"]
    assert "qa" not in token and len(token) >= 43
    (stored,) = rows(store_url, ConsoleSession)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    tampered = client(make_app(store_url, tmp_path))
    tampered.cookies.set("callqa_session", token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert tampered.get("/api/me").status_code == 401


def test_disabling_ends_sessions_and_enabling_does_not_revive_them(store_url, tmp_path):
    from console import accounts
    from storage.database import Store

    app = make_app(store_url, tmp_path)
    user = client(app)
    assert sign_in(user).status_code == 200
    assert user.get("/api/me").status_code == 200
    store = Store(store_url, migrate_schema=False)
    with store.session() as session:
        accounts.disable(session, "cli:test", "qa")
    assert user.get("/api/me").status_code == 401
    assert sign_in(client(app)).status_code == 401  # disabled: the right password fails
    with store.session() as session:
        accounts.enable(session, "cli:test", "qa")
    store.close()
    assert user.get("/api/me").status_code == 401  # the old cookie stays dead
    fresh = client(app)
    assert sign_in(fresh).status_code == 200 and fresh.get("/api/me").status_code == 200


def test_a_password_change_or_removal_ends_sessions(store_url, tmp_path):
    from console import accounts
    from storage.database import Store

    app = make_app(store_url, tmp_path)
    qa, admin = client(app), client(app)
    assert sign_in(qa).status_code == 200 and sign_in(admin, "admin").status_code == 200
    store = Store(store_url, migrate_schema=False)
    with store.session() as session:
        accounts.set_password(session, "cli:test", "qa", "a brand new password")
        accounts.remove(session, "cli:test", "admin")
    store.close()
    assert qa.get("/api/me").status_code == 401
    assert admin.get("/api/me").status_code == 401
    assert sign_in(client(app), "qa", "a brand new password").status_code == 200


def test_an_idle_session_ends_and_seen_is_written_once_a_minute(store_url, tmp_path):
    from storage.schema import ConsoleSession

    user = client(make_app(store_url, tmp_path))
    assert sign_in(user).status_code == 200
    (before,) = rows(store_url, ConsoleSession)
    for _ in range(3):
        assert user.get("/api/me").status_code == 200
    (after,) = rows(store_url, ConsoleSession)
    assert after.last_seen_at == before.last_seen_at  # no write per request
    shift(store_url, ConsoleSession, "last_seen_at", -timedelta(minutes=2))
    assert user.get("/api/me").status_code == 200
    (seen,) = rows(store_url, ConsoleSession)
    assert seen.last_seen_at > before.last_seen_at - timedelta(minutes=1)  # written again
    shift(store_url, ConsoleSession, "last_seen_at", -timedelta(minutes=31))
    assert user.get("/api/me").status_code == 401


def test_idle_timeout_and_lifetime_are_settings(store_url, tmp_path):
    import time

    from console.sessions import SessionRules
    from console.signin import SignInRules
    from storage.schema import ConsoleSession

    rules = SignInRules(sessions=SessionRules(idle_seconds=1))
    user = client(make_app(store_url, tmp_path, sign_in=rules))
    assert sign_in(user).status_code == 200
    assert user.get("/api/me").status_code == 200
    time.sleep(1.2)
    assert user.get("/api/me").status_code == 401
    # the 8-hour limit holds even for a session in constant use
    other = client(make_app(store_url, tmp_path))
    signed = sign_in(other)
    assert signed.status_code == 200 and "max-age=28800" in signed.headers["set-cookie"].lower()
    shift(store_url, ConsoleSession, "expires_at", -timedelta(hours=8), username="qa")
    assert other.get("/api/me").status_code == 401


# --- hosts, origins, caching, body size -------------------------------------------------


def test_an_unknown_host_gets_400(store_url, tmp_path):
    from console import FolderAudio, create_app

    app = make_app(store_url, tmp_path)
    rebound = TestClient(app, base_url="http://evil.example")
    assert rebound.get("/login").status_code == 400
    assert (
        rebound.post("/api/session", json={"username": "qa", "password": PASSWORD}).status_code
        == 400
    )
    default = create_app(store_url, FolderAudio(tmp_path))  # loopback names only
    assert TestClient(default).get("/login").status_code == 400  # Host: testserver
    for name in ("localhost:8080", "127.0.0.1", "[::1]:8080"):
        assert TestClient(default, base_url=f"http://{name}").get("/login").status_code == 200


def test_the_cross_site_check_compares_the_scheme(store_url, tmp_path):
    https_app = make_app(store_url, tmp_path, secure_cookies=True)
    downgraded = TestClient(https_app, headers={"Origin": f"http://{HOST}"})
    assert sign_in(downgraded).status_code == 403
    same = TestClient(https_app, headers={"Origin": f"https://{HOST}"})
    assert sign_in(same).status_code == 200
    http_app = make_app(store_url, tmp_path)
    upgraded = TestClient(http_app, headers={"Referer": f"https://{HOST}/login"})
    assert sign_in(upgraded).status_code == 403


def test_call_data_is_never_cached_but_static_files_may_be(console_data: ConsoleData, tmp_path):
    app = make_app(console_data.store_url, console_data.results)
    qa = client(app)
    assert sign_in(qa).status_code == 200
    call_id = next(iter(console_data.calls))
    for path in ("/api/calls", f"/api/calls/{call_id}", f"/calls/{call_id}", "/login"):
        r = qa.get(path)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path
    assert "no-store" in qa.get(f"/api/calls/{call_id}/audio").headers["cache-control"]
    static = qa.get("/static/app.css")
    assert static.status_code == 200 and "cache-control" not in static.headers


def test_request_bodies_over_the_limit_get_413(store_url, tmp_path):
    app = make_app(store_url, tmp_path)
    user = client(app)
    huge = "x" * (1024 * 1024)
    r = user.post("/api/session", json={"username": "qa", "password": huge})
    assert r.status_code == 413
    assert user.post("/login", data={"username": "qa", "password": huge}).status_code == 413

    def chunks():  # no Content-Length: the limit is counted as the body arrives
        for _ in range(32):
            yield b"username=qa&password=" + b"y" * 4096

    streamed = user.post(
        "/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert streamed.status_code == 413
    small = make_app(store_url, tmp_path, max_body_bytes=100)
    assert sign_in(client(small), password="p" * 200).status_code == 413
    assert not audit(store_url, action="sign_in_failed")  # none reached the password check
    assert sign_in(user).status_code == 200


def test_a_password_typed_as_the_user_name_is_not_written_down(store_url, tmp_path):
    from storage.schema import SignInThrottle

    user = client(make_app(store_url, tmp_path))
    r = user.post("/login", data={"username": "Tr0ub4dor&3 secret", "password": ""})
    assert r.status_code == 401
    written = [" ".join(str(v) for v in (e.username, e.target, e.detail)) for e in audit(store_url)]
    written += [t.key for t in rows(store_url, SignInThrottle)]
    assert written and not [w for w in written if "Tr0ub4dor" in w]
    (failed,) = audit(store_url, action="sign_in_failed")
    assert failed.username == "(unknown account)"
    assert sign_in(user, password="wrong").status_code == 401
    assert audit(store_url, action="sign_in_failed", username="qa")  # a real name is kept


# --- callqa users -----------------------------------------------------------------------


def users(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    from callqa.cli import app

    return CliRunner().invoke(app, ["users", *args], input=stdin)


def test_users_commands_change_accounts_with_an_audit_entry_each(store_url, tmp_path):
    import getpass

    from storage.schema import User

    store = ["--store", store_url]
    actor = f"cli:{getpass.getuser()}"
    app = make_app(store_url, tmp_path)
    added = users(
        "add", "lead", "--role", "qa_lead", "--password-stdin", *store, stdin="lead pass 1\n"
    )
    assert added.exit_code == 0, added.output
    again = users("add", "lead", "--role", "admin", *store)  # refused before any prompt
    assert again.exit_code == 2 and "Password" not in again.output
    assert "users passwd lead" in again.output and "--force" in again.output
    (lead,) = rows(store_url, User, username="lead")
    assert lead.role == "qa_lead"
    assert sign_in(client(app), "lead", "lead pass 1").status_code == 200

    signed_in = client(app)
    assert sign_in(signed_in, "lead", "lead pass 1").status_code == 200
    forced = users(
        "add",
        "lead",
        "--role",
        "admin",
        "--force",
        "--password-stdin",
        *store,
        stdin="lead pass 2\n",
    )
    assert forced.exit_code == 0, forced.output
    assert signed_in.get("/api/me").status_code == 401  # the role changed: sessions ended
    assert client(app).post(
        "/api/session", json={"username": "lead", "password": "lead pass 2"}
    ).json() == {"username": "lead"}

    assert sign_in(signed_in, "lead", "lead pass 2").status_code == 200
    changed = users("passwd", "lead", "--password-stdin", *store, stdin="lead pass 3\n")
    assert changed.exit_code == 0 and "2 session(s) ended" in changed.output
    assert signed_in.get("/api/me").status_code == 401
    assert users("disable", "lead", *store).exit_code == 0
    assert sign_in(client(app), "lead", "lead pass 3").status_code == 401
    assert users("enable", "lead", *store).exit_code == 0
    assert sign_in(client(app), "lead", "lead pass 3").status_code == 200
    listed = users("list", *store)
    assert listed.exit_code == 0 and "lead" in listed.output and "admin" in listed.output
    assert users("remove", "lead", *store, stdin="n\n").exit_code == 1  # asked, declined
    assert users("remove", "lead", "--yes", *store).exit_code == 0
    assert not rows(store_url, User, username="lead")
    assert (
        users("passwd", "ghost", "--password-stdin", *store, stdin="whatever 12\n").exit_code == 2
    )

    entries = [e for e in audit(store_url) if e.action.startswith("account.")]
    assert [e.action for e in entries] == [
        "account.add",
        "account.role",
        "account.passwd",
        "account.disable",
        "account.enable",
        "account.remove",
    ]
    assert {e.username for e in entries} == {actor} and {e.target for e in entries} == {"lead"}
    assert "qa_lead -> admin" in (entries[1].detail or "")
    assert not [e for e in audit(store_url) if "lead pass" in f"{e.target} {e.detail}"]


def test_users_list_never_echoes_the_stores_password():
    for url in ("qa:Secret-42@x", "postgresql://qa:Secret-42@127.0.0.1:1/none"):
        listed = users("list", "--store", url)
        assert listed.exit_code == 2, listed.output
        assert "Secret-42" not in listed.output and "***" in listed.output, listed.output


def test_callqa_serve_answers_to_its_host_and_the_allowed_ones_only(store_url, tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "callqa.cli", "serve", "--port", str(port)]
    command += ["--store", store_url, "--allowed-host", "qa.example.com"]
    command += ["--trusted-proxy", "127.0.0.1"]
    server = subprocess.Popen(
        command,
        cwd=tmp_path,
        env={**os.environ, "CALLQA_DATA_DIR": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.1)

        def status(host: str) -> int:
            return httpx.get(f"{base}/login", headers={"Host": host}, timeout=5).status_code

        assert status(f"127.0.0.1:{port}") == 200
        assert status(f"localhost:{port}") == 200
        assert status("qa.example.com") == 200
        assert status("evil.example") == 400
        assert status(f"evil.example:{port}") == 400
        # behind the trusted proxy, failures are counted against the real client's address
        failed = httpx.post(
            f"{base}/api/session",
            json={"username": "qa", "password": "wrong"},
            headers={"Origin": base, "X-Forwarded-For": "203.0.113.9"},
            timeout=10,
        )
        assert failed.status_code == 401
        assert [e.client for e in audit(store_url, action="sign_in_failed")] == ["203.0.113.9"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def _parallel_failures_lock_once(url: str, tmp_path: Path) -> None:
    """The count is UPDATEd in place, not read and written back: parallel failures neither
    get lost nor write two lockouts."""
    from console.signin import SignInRules
    from console.throttle import ThrottleRules

    rules = SignInRules(
        throttle=ThrottleRules(account_failures=4, address_failures=100), concurrent_checks=8
    )
    app = make_app(url, tmp_path, sign_in=rules)
    start = threading.Barrier(6)
    codes: list[int] = []

    def attempt(n: int) -> None:
        c = client(app, f"198.51.100.{n}")
        start.wait()
        codes.append(sign_in(c, password=f"guess {n}").status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # failures 1-3 are answered 401; the 4th locks, and it and any later one get 429
    assert sorted(codes) == [401, 401, 401, 429, 429, 429], codes
    assert len(audit(url, action="sign_in_failed")) >= 4
    assert len(audit(url, action="sign_in_locked")) == 1
    assert sign_in(client(app)).status_code == 429


def test_parallel_failures_are_all_counted_and_lock_once_on_sqlite(store_url, tmp_path):
    _parallel_failures_lock_once(store_url, tmp_path)


def test_parallel_failures_are_all_counted_and_lock_once_on_postgresql(pg_cluster, tmp_path):
    from console.auth import create_user
    from storage.database import Store

    url = pg_cluster.create_database("callqa_sign_in")
    store = Store(url)
    with store.session() as session:
        create_user(session, "qa", PASSWORD, "qa_lead")
    store.close()
    _parallel_failures_lock_once(url, tmp_path)
