"""The role × route matrix: every page and API route of the real console, for each of the
five roles and a visitor who has not signed in, answers as the "Route by route" table in
docs/console.md says. The routes come from the app itself (its OpenAPI document for the API,
its router for the pages), the expectations from the docs, so neither can drift: a route
without a documented row, or a row for a route the app lacks, fails too.

Path parameters are filled with real ids from the test store: for a supervisor and an agent
one call (or agent) inside their scope and one outside it, so that a "scope" cell is seen
both to allow and to answer 404."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from tests import console_fixtures
from tests.console_fixtures import PASSWORD, ConsoleData

console_data = console_fixtures.console_data  # the store fixture, built for this module

HOST = "testserver"  # what TestClient sends as Host: the app is told to answer to it
DOC = Path(__file__).resolve().parents[1] / "docs" / "console.md"
PRINCIPALS = ("anonymous", "admin", "qa_lead", "compliance", "supervisor", "agent")
# The test store's account of each role (tests/console_fixtures.py).
ACCOUNTS = {
    "admin": "admin",
    "qa_lead": "qa",
    "compliance": "comp",
    "supervisor": "sup",
    "agent": "li",
}
CELLS = frozenset({"yes", "scope", "403", "sign-in"})
SCOPED_PARAMETERS = frozenset({"call_id", "agent_id"})
# Requests that sign in or out: each gets a client of its own, so that the shared
# signed-in clients keep their sessions.
SESSION_ROUTES = frozenset({("POST", "/login"), ("POST", "/logout")}) | {
    (m, "/api/session") for m in ("POST", "DELETE")
}


class Response(Protocol):
    """What a TestClient answers (httpx's or httpx2's Response, as Starlette has it)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


# The docs' cells: (method, path) -> principal -> cell.
Matrix = dict[tuple[str, str], dict[str, str]]


def documented_matrix(text: str) -> Matrix:
    """The "Route by route" table of the "Who sees what" section of docs/console.md."""
    section = text.split("\n## Who sees what\n", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines()]
    header_at = next(
        i for i, line in enumerate(lines) if re.match(r"\|\s*method\s*\|\s*path\s*\|", line)
    )
    header = [cell.strip() for cell in lines[header_at].strip("|").split("|")]
    assert header == ["method", "path", *PRINCIPALS], f"{DOC}: matrix header is {header}"
    rows = itertools.takewhile(lambda line: line.startswith("|"), lines[header_at + 2 :])
    matrix: Matrix = {}
    for line in rows:
        method, path, *cells = [cell.strip() for cell in line.strip("|").split("|")]
        key = (method, path.strip("`"))
        assert key not in matrix, f"{DOC}: {method} {path} has two rows"
        assert len(cells) == len(PRINCIPALS), f"{DOC}: {method} {path} has {len(cells)} cells"
        unknown = set(cells) - CELLS
        assert not unknown, f"{DOC}: {method} {path}: cells {unknown} are not among {CELLS}"
        if "scope" in cells:
            assert SCOPED_PARAMETERS & set(parameters(key[1])), (
                f"{DOC}: {method} {path} says 'scope' but names no call or agent"
            )
        matrix[key] = dict(zip(PRINCIPALS, cells, strict=True))
    return matrix


def parameters(path: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", path)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    in_schema: bool


def every_route(app: FastAPI) -> list[Route]:
    """Every route the app answers, with the routers it includes flattened, static files
    aside (HEAD is answered as GET)."""
    try:  # FastAPI >= 0.150 includes routers lazily: app.routes holds the routers
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI copies the routes in
        pairs = [(route, getattr(route, "path", "")) for route in app.routes]
    else:
        pairs = [(c.original_route, c.path) for c in iter_route_contexts(app.routes)]
    routes = []
    for route, path in pairs:
        if isinstance(route, Mount):
            continue
        in_schema = bool(getattr(route, "include_in_schema", True))
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                routes.append(Route(method, path, in_schema))
    return routes


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(r.method, r.path) for r in every_route(app)}


def api_and_page_routes(app: FastAPI) -> set[tuple[str, str]]:
    """The API routes from the OpenAPI document, the rest (pages and the few routes kept out
    of the document) from the router."""
    api = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    return api | {(r.method, r.path) for r in every_route(app) if not r.in_schema}


@dataclass(frozen=True)
class Ids:
    """Real ids from the test store: for each principal, a call and an agent inside its
    scope and one outside it (for roles that see everything or nothing, two calls and two
    agents all the same)."""

    calls_in: dict[str, str]
    calls_out: dict[str, str]
    agents_in: dict[str, str]
    agents_out: dict[str, str]
    rule_of_call: dict[str, str]  # a call -> a rule it has a decided outcome for
    rule: str  # a rule with failures, for the compliance drill-down


def ids_of(data: ConsoleData) -> Ids:
    from sqlalchemy import select

    from storage.database import Store
    from storage.schema import RuleOutcome

    li = data.calls_of(agent="a-li")[0]
    wang = data.calls_of(agent="a-wang")[0]
    loans = data.calls_of(team="t-loans")[0]
    calls_in = {p: li for p in PRINCIPALS}
    calls_out = {p: loans for p in PRINCIPALS}
    calls_out["agent"] = wang  # the agent's own team, but not the agent's own call
    agents_in = {p: "a-li" for p in PRINCIPALS}
    agents_out = {p: "a-zhao" for p in PRINCIPALS}
    agents_out["agent"] = "a-wang"
    store = Store(data.store_url, migrate_schema=False)
    try:
        with store.session() as session:
            outcomes = session.execute(
                select(RuleOutcome.call_id, RuleOutcome.rule_id, RuleOutcome.outcome)
            ).all()
    finally:
        store.close()
    rule_of_call = {
        call: rule for call, rule, outcome in sorted(outcomes) if outcome in ("passed", "failed")
    }
    failing = sorted({rule for _, rule, outcome in outcomes if outcome == "failed"})
    return Ids(calls_in, calls_out, agents_in, agents_out, rule_of_call, failing[0])


@dataclass(frozen=True)
class Probe:
    """One request of one principal: which route, the concrete URL, what it should get."""

    method: str
    route: str
    url: str
    principal: str
    expected: str
    call_id: str | None


def probes(route: tuple[str, str], cells: dict[str, str], ids: Ids) -> Iterator[Probe]:
    method, path = route
    names = parameters(path)
    for principal in PRINCIPALS:
        cell = cells[principal]
        sides = ("in", "out") if SCOPED_PARAMETERS & set(names) else ("in",)
        for side in sides:
            values = _fill(names, principal, side, ids, f"{method} {path}")
            expected = cell
            if cell == "scope":
                expected = "yes" if side == "in" else "404"
            yield Probe(
                method,
                path,
                path.format(**values),
                principal,
                expected,
                values.get("call_id"),
            )


def _fill(names: list[str], principal: str, side: str, ids: Ids, route: str) -> dict[str, str]:
    values = {}
    for name in names:
        if name == "call_id":
            values[name] = (ids.calls_in if side == "in" else ids.calls_out)[principal]
        elif name == "agent_id":
            values[name] = (ids.agents_in if side == "in" else ids.agents_out)[principal]
        elif name == "rule_id":
            values[name] = ids.rule
        elif name == "fmt":
            values[name] = "csv"
        else:
            pytest.fail(f"{route}: no test value for {{{name}}}: add one to {__file__}")
    return values


def body_of(probe: Probe, ids: Ids) -> dict[str, Any]:
    """A valid minimal body, so that the permission (not validation) decides."""
    account = ACCOUNTS.get(probe.principal, "qa")  # a visitor signs in as the QA lead
    api = probe.route.startswith("/api/")
    route = (probe.method, probe.route)
    if route in (("POST", "/api/session"), ("POST", "/login")):
        credentials = {"username": account, "password": PASSWORD}
        return {"json": credentials} if api else {"data": credentials}
    if probe.method != "POST" or route == ("POST", "/logout"):
        return {}
    action = probe.route.rsplit("/", 1)[1]
    if action in ("review", "reviews"):
        assert probe.call_id is not None
        fields = {"rule_id": ids.rule_of_call[probe.call_id], "verdict": "confirmed"}
        return {"json": fields} if api else {"data": fields}
    if action == "training":
        return {"json": {"on": True}} if api else {"data": {"on": "1"}}
    if action == "escalate":
        return {"json": {"comment": "role matrix"}} if api else {"data": {"comment": "role matrix"}}
    pytest.fail(f"{probe.method} {probe.route}: no request body known: add one to {__file__}")


def outcome_of(probe: Probe, response: Response) -> str:
    """What the app did, in the docs' words (or the bare status when none fits)."""
    status = response.status_code
    location = response.headers.get("location", "")
    to_sign_in = status == 303 and location.startswith("/login?next=")
    if (probe.route.startswith("/api/") and status == 401) or to_sign_in:
        return "sign-in"
    if 200 <= status < 300 or status == 303:
        return "yes"
    return str(status)


@pytest.fixture(scope="module")
def app(console_data: ConsoleData) -> FastAPI:
    from console import FolderAudio, create_app

    return create_app(
        console_data.store_url, FolderAudio(console_data.results), allowed_hosts=[HOST]
    )


def client_for(app: FastAPI, username: str | None) -> TestClient:
    """A client from the console's own origin, signed in as ``username`` (None: not)."""
    client = TestClient(app, headers={"Origin": f"http://{HOST}"})
    if username is not None:
        r = client.post("/api/session", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
    return client


def test_docs_list_every_route_the_app_has_and_no_other(app: FastAPI) -> None:
    documented = set(documented_matrix(DOC.read_text(encoding="utf-8")))
    routes = app_routes(app)
    assert api_and_page_routes(app) == routes  # the OpenAPI paths and the pages cover all
    undocumented = sorted(routes - documented)
    stale = sorted(documented - routes)
    assert not undocumented, f"routes without a row in {DOC} (Who sees what): {undocumented}"
    assert not stale, f"rows in {DOC} for routes the app does not have: {stale}"


def test_every_cell_of_the_role_matrix_is_as_the_docs_say(
    app: FastAPI, console_data: ConsoleData
) -> None:
    matrix = documented_matrix(DOC.read_text(encoding="utf-8"))
    ids = ids_of(console_data)
    shared = {p: client_for(app, ACCOUNTS.get(p)) for p in PRINCIPALS}

    def client(probe: Probe) -> TestClient:
        if (probe.method, probe.route) in SESSION_ROUTES:
            return client_for(app, ACCOUNTS.get(probe.principal))
        return shared[probe.principal]

    answers = ask_all(matrix, app_routes(app), ids, client)
    wrong = [
        f"{probe.principal:>10} {probe.method} {probe.url}: docs say {probe.expected}, "
        f"app answered {response.status_code} {response.text[:120]}"
        for probe, response in answers
        if outcome_of(probe, response) != probe.expected
    ]
    cells = len(matrix) * len(PRINCIPALS)
    print(f"role matrix: {len(matrix)} routes × {len(PRINCIPALS)} principals = {cells} cells")
    print(f"{len(answers)} requests")
    assert not wrong, "cells where the app disagrees with docs/console.md:\n" + "\n".join(wrong)
    assert len(answers) >= cells
    # "every refusal: denied" (docs/console.md, Audit): each 403 or 404 a signed-in viewer got
    refused = Counter(
        (ACCOUNTS[probe.principal], probe.url)
        for probe, response in answers
        if probe.principal in ACCOUNTS and response.status_code in (403, 404)
    )
    unrecorded = refused - Counter(denied_entries(console_data))
    assert sum(refused.values()) > 50 and not unrecorded, f"refusals not audited: {unrecorded}"


def ask_all(
    matrix: Matrix,
    routes: set[tuple[str, str]],
    ids: Ids,
    client: Callable[[Probe], TestClient],
) -> list[tuple[Probe, Response]]:
    """Every probe of every documented route the app has, with the app's answer."""
    answers: list[tuple[Probe, Response]] = []
    for route in sorted(routes & set(matrix)):
        for probe in probes(route, matrix[route], ids):
            response = client(probe).request(
                probe.method, probe.url, follow_redirects=False, **body_of(probe, ids)
            )
            answers.append((probe, response))
    return answers


def denied_entries(data: ConsoleData) -> list[tuple[str, str]]:
    """(username, path) of every ``denied`` row in the audit log."""
    from sqlalchemy import select

    from storage.database import Store
    from storage.schema import AuditEntry

    store = Store(data.store_url, migrate_schema=False)
    try:
        with store.session() as session:
            query = select(AuditEntry.username, AuditEntry.target)
            return [(u, t) for u, t in session.execute(query.where(AuditEntry.action == "denied"))]
    finally:
        store.close()


def test_the_matrix_parser_rejects_what_it_cannot_check() -> None:
    """A row with an unknown word, or "scope" on a route that names no call or agent, is a
    mistake in the docs, not a cell to skip."""
    good = DOC.read_text(encoding="utf-8")
    row = "| GET | `/api/me` | sign-in | yes | yes | yes | yes | yes |"
    assert row in good
    for bad in (row.replace("| yes |", "| maybe |", 1), row.replace("| yes |", "| scope |", 1)):
        with pytest.raises(AssertionError):
            documented_matrix(good.replace(row, bad))
    assert len(documented_matrix(good)) >= 30
