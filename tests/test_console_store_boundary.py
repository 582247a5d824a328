"""The console's own tables (accounts, sign-in sessions, the audit log, the sign-in throttle,
the aggregate cache's data version) and the batch ledger are read and written through named
functions in storage/: the modules that decide what those reads and writes mean import no
SQLAlchemy, so no SQL can be written there (issue 11, "the store behind its boundary")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DECIDING_MODULES = (
    "console/accounts.py",
    "console/app.py",
    "console/audit.py",
    "console/auth.py",
    "console/cache.py",
    "console/sessions.py",
    "console/signin.py",
    "console/throttle.py",
    "flows/ledger.py",
)


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever the import statement is."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", DECIDING_MODULES)
def test_the_module_leaves_its_sql_to_storage(module):
    imported = _imported_modules(ROOT / module)
    sql = sorted(name for name in imported if name.split(".")[0] == "sqlalchemy")
    assert not sql, f"{module} imports {sql}: its reads and writes belong in storage/"


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    # the store's SQL was often imported lazily, inside the function that ran it
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from sqlalchemy import update\n    return update\n")
    assert "sqlalchemy" in _imported_modules(sample)
