"""The house's floors, read from the code's own imports (module level and inside functions):
the packages form no cycle, and no arrow points the wrong way. See the README's map."""

from __future__ import annotations

import ast
import builtins
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "core",
    "models",
    "rules",
    "pipeline",
    "storage",
    "appraisal",
    "flows",
    "console",
    "synth",
    "callqa",
)
# package -> packages it must never import
FORBIDDEN = {
    "core": set(PACKAGES) - {"core"},
    "models": {"pipeline", "rules", "storage", "appraisal", "flows", "console", "callqa"},
    "rules": {"pipeline", "storage", "appraisal", "flows", "console", "callqa"},
    "pipeline": {"storage", "appraisal", "flows", "console", "callqa"},
    "storage": {"appraisal", "flows", "console", "callqa"},
    "appraisal": {"flows", "console", "callqa"},
    "flows": {"console", "appraisal", "callqa"},
    "console": {"flows", "callqa"},
    "synth": {"storage", "appraisal", "flows", "console", "callqa"},
}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (dotted names), wherever the import statement is: the
    store's SQL, for one, used to be imported lazily inside the function that ran it."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _imports(path: Path) -> set[str]:
    """Top-level names of everything ``path`` imports, wherever the import statement is."""
    return {name.split(".")[0] for name in imported_modules(path)}


def test_an_import_inside_a_function_counts(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from sqlalchemy.orm import Session\n    return Session\n")
    assert imported_modules(sample) == {"sqlalchemy.orm"} and _imports(sample) == {"sqlalchemy"}


def _graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> the files that import it."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for package in PACKAGES:
        for path in _modules(package):
            for name in _imports(path) & set(PACKAGES) - {package}:
                graph[package][name].append(str(path.relative_to(ROOT)))
    return graph


def _cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for package in PACKAGES:
        if package not in state and (found := visit(package)):
            return found
    return None


def test_the_packages_import_each_other_without_a_cycle():
    graph = _graph()
    cycle = _cycle(graph)
    assert cycle is None, (
        " -> ".join(cycle or [])
        + "\n"
        + "\n".join(
            f"  {a} -> {b}: {', '.join(graph[a][b][:3])}"
            for a, b in zip(cycle or [], (cycle or [])[1:], strict=False)
        )
    )


def test_no_import_points_down_the_wrong_way():
    graph = _graph()
    wrong = [
        f"{package} imports {other} ({', '.join(files[:3])})"
        for package, forbidden in FORBIDDEN.items()
        for other, files in graph[package].items()
        if other in forbidden
    ]
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_command_line_app():
    graph = _graph()
    users = [package for package in PACKAGES if "callqa" in graph[package]]
    assert users == ["callqa"] or users == [], users


def test_only_flows_imports_prefect():
    users = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        if package != "flows"
        for path in _modules(package)
        if "prefect" in _imports(path)
    ]
    assert not users, users


def test_only_storage_speaks_sql():
    """All SQL of the scorecard store is behind named functions in storage/: no other
    package imports SQLAlchemy or Alembic (core parses store URLs with it, no more)."""
    allowed = {"storage"}
    url_parsing = {"core/urls.py", "core/config.py"}
    found = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        if package not in allowed
        for path in _modules(package)
        if _imports(path) & {"sqlalchemy", "alembic"}
        and str(path.relative_to(ROOT)) not in url_parsing
    ]
    assert not found, "SQL outside storage/: " + ", ".join(found)


def test_no_rule_id_is_written_into_code_outside_the_rules():
    """Rules are data: code decides by a rule's tags (core.analysis.Tag), never its id, so a
    rule renamed in the pack keeps feeding the appraisal. Migrations record history and the
    demo's sample scripts (synth/) are data about calls; both are left out."""
    pack = yaml.safe_load((ROOT / "rules" / "bank_remote_agent.yaml").read_text(encoding="utf-8"))
    rule_ids = {rule["id"] for rule in pack["rules"]}
    found = []
    for package in PACKAGES:
        if package in ("rules", "synth"):
            continue
        for path in _modules(package):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in rule_ids:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "\n".join(found)


def test_a_renamed_rule_keeps_feeding_the_appraisal_by_its_tags():
    from core.analysis import RuleResult
    from pipeline.scorecard import rule_facts

    facts = rule_facts(
        [
            RuleResult(
                id="told_the_result", outcome="passed", reason="", tags=("answers_enquiry",)
            ),
            RuleResult(id="no_rude_words", outcome="failed", reason="", tags=("language_breach",)),
            RuleResult(id="greeting", outcome="passed", reason="", critical=True),
        ]
    )
    assert facts.enquiry_answered is True and facts.forbidden_language is True
    assert (facts.applicable, facts.passed, facts.severity) == (3, 2, 0)
    untagged = rule_facts([RuleResult(id="forbidden_language", outcome="failed", reason="")])
    assert untagged.forbidden_language is False and untagged.enquiry_answered is None


BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}


def _error_classes() -> dict[str, tuple[str, str | None]]:
    """Every class defined in the packages that descends from an exception: its name ->
    (where it is defined, the root it descends from: CallqaError, CallqaWarning or a builtin)."""
    bases: dict[str, list[str]] = {}
    where: dict[str, str] = {}
    for package in PACKAGES:
        for path in _modules(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    names = [
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    ]
                    bases.setdefault(node.name, names)
                    where.setdefault(node.name, f"{path.relative_to(ROOT)}:{node.lineno}")

    def root(name: str, seen: frozenset[str] = frozenset()) -> str | None:
        if name in ("CallqaError", "CallqaWarning"):
            return name
        if name in BUILTIN_EXCEPTIONS:
            return name
        if name not in bases or name in seen:
            return None
        for base in bases[name]:
            found = root(base, seen | {name})
            if found:
                return found
        return None

    found = {name: (where[name], root(name)) for name in bases}
    return {name: (w, r) for name, (w, r) in found.items() if r is not None}


def test_one_error_tree_with_every_error_in_its_docstring():
    """Every exception class callqa defines descends from CallqaError (CallqaWarning is the
    one warning), and core/errors.py's docstring draws every one of them."""
    import core.errors

    errors = _error_classes()
    stray = [
        f"{where}: {n} descends from {r}, not CallqaError"
        for n, (where, r) in errors.items()
        if r not in ("CallqaError", "CallqaWarning")
    ]
    assert not stray, "\n".join(stray)
    drawn = core.errors.__doc__ or ""
    missing = [f"{where}: {n}" for n, (where, _) in errors.items() if n not in drawn]
    assert not missing, "not in core/errors.py's tree:\n" + "\n".join(missing)


# The stable ``reason`` code of every error class: what quarantine records, error files and
# logs say. A class renamed or moved keeps its code (state it in the class); a new class
# adds its line here.
REASONS = {
    "AccountError": "account",
    "AudioError": "audio_error",
    "AudioNotFound": "audio_not_found",
    "AudioNotFoundError": "not_found",
    "AudioTooLongError": "too_long",
    "BackupError": "backup",
    "BadRequest": "bad_request",
    "CallIdTaken": "duplicate_call_id",
    "CallMetadataError": "bad_metadata",
    "CallqaError": "callqa",
    "ConfigError": "config",
    "ConsoleError": "console",
    "CorruptAudioError": "corrupt",
    "EmptyAudioError": "empty",
    "Forbidden": "forbidden",
    "LiveStoreError": "live_store",
    "LiveStreamError": "live_stream",
    "LostClaim": "lost_claim",
    "ModelChecksumError": "model_checksum",
    "ModelError": "model",
    "ModelNotFoundError": "model_not_found",
    "NoSpeechError": "no_speech",
    "NotAudioError": "not_audio",
    "NotFound": "not_found_or_hidden",
    "NotSignedIn": "not_signed_in",
    "ObjectNotFound": "object_not_found",
    "ObjectRefused": "object_refused",
    "PeriodError": "period",
    "RangeNotSatisfiable": "range_not_satisfiable",
    "RecordingProblem": "recording_problem",
    "RetentionError": "retention",
    "ReviewError": "review",
    "RulePackError": "rule_pack",
    "SignInBusy": "sign_in_busy",
    "StorageError": "storage",
    "StorageUnavailable": "storage_unavailable",
    "StoreError": "store",
    "SurveyImportError": "survey_import",
    "TaxonomyError": "taxonomy",
    "TooManySignIns": "too_many_sign_ins",
    "TranscriptFormatError": "transcript_format",
    "Unavailable": "unavailable",
    "UnknownCallError": "unknown_call",
    "UnknownRuleError": "unknown_rule",
    "UnsupportedChannelsError": "unsupported_channels",
    "_RowError": "row",
}


def test_every_error_has_its_own_stable_reason_code():
    import importlib

    codes: dict[str, str] = {}
    for name, (where, root) in _error_classes().items():
        if root != "CallqaError":
            continue
        module = importlib.import_module(where.split(":")[0].removesuffix(".py").replace("/", "."))
        codes[name] = getattr(module, name).reason
    assert codes == REASONS
    shared = {c for c in codes.values() if list(codes.values()).count(c) > 1}
    assert not shared, f"reason codes used by more than one class: {sorted(shared)}"


def test_every_module_stays_small():
    """A module does one thing: past 400 lines it is split (benches and tests aside)."""
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for package in PACKAGES
        for path in _modules(package)
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    ]
    assert not long, "\n".join(long)
