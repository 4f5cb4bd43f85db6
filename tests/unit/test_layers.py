"""The layers keep to their side: formats in sheets/, pure domain, stages that do not call each other."""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

TELAR = ROOT / "layers" / "telar" / "telar"
SHEETS = TELAR / "sheets"
STAGES = TELAR / "stages"


def _runtime_imports(path: Path) -> set[str]:
    """The modules ``path`` imports when it runs (names imported only for type checking are not)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for n in ast.walk(block)
    }
    nodes = [n for n in ast.walk(tree) if id(n) not in typing_only]
    # ``from telar import messages`` imports the module telar.messages
    return {
        f"{n.module}.{a.name}" if n.module == "telar" else n.module or ""
        for n in nodes
        if isinstance(n, ast.ImportFrom)
        for a in n.names
    } | {a.name for n in nodes if isinstance(n, ast.Import) for a in n.names}


@pytest.mark.parametrize("module", sorted(p.stem for p in SHEETS.glob("*.py") if p.stem != "__init__"))
def test_every_module_of_sheets_depends_on_models_errors_and_sheets_only(module: str) -> None:
    # Given the imports of a module in telar/sheets/
    imported = _runtime_imports(SHEETS / f"{module}.py")
    # Then none of them is a domain module, a stage or an adapter (telar.messages is a leaf: the texts of problems)
    telar = {m for m in imported if m == "telar" or m.startswith("telar.")}
    allowed = ("telar.models", "telar.errors", "telar.messages", "telar.sheets")
    assert [m for m in telar if not m.startswith(allowed)] == []


def test_no_domain_module_opens_a_workbook_or_touches_an_adapter() -> None:
    # Given the pure domain modules (telar/*.py and auth/ but the wiring and the settings; photos.py names the
    # store's StoredObject for type checking only; the key CLI, auth/__main__.py, is an edge)
    modules = [*SHEETS.parent.glob("*.py"), SHEETS.parent / "auth" / "__init__.py"]
    domain = [p for p in modules if p.stem not in ("__init__", "ports", "settings") or p.parent.name == "auth"]
    for path in domain:
        imported = _runtime_imports(path)
        # Then none imports sheets/, adapters/, openpyxl or boto3
        bad = [m for m in imported if m.startswith(("telar.sheets", "telar.adapters", "openpyxl", "boto3"))]
        assert bad == [], path.name


def _stage_modules() -> set[str]:
    """The stages: the modules of telar/stages/ a Lambda handler calls (the rest are helpers they share)."""
    handlers = [_runtime_imports(app) for app in (ROOT / "functions").glob("*/app.py")]
    return {m.rsplit(".", 1)[1] for imported in handlers for m in imported if m.startswith("telar.stages.")}


@pytest.mark.parametrize("stage", sorted(_stage_modules()))
def test_a_stage_does_not_import_another_stage(stage: str) -> None:
    # Given a stage module, When its imports are read, Then none is another stage (shared code lives in helpers
    # named for what they do: papers, conflicts, notify)
    others = {f"telar.stages.{name}" for name in _stage_modules() - {stage}}
    assert _runtime_imports(STAGES / f"{stage}.py") & others == set()


def test_the_stages_are_found() -> None:
    assert {"split_work", "rework", "qc_upload", "payroll"} <= _stage_modules()
