"""The shape of the code: stages as packages without import circles, one module owning the workbook
contract, and a package that ships every stage."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

from pipeline.workbook import contract

from .conftest import REPO

PACKAGE = REPO / "pipeline"
CONTRACT = PACKAGE / "workbook" / "contract.py"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every module of ours that `path` imports, at the top or inside a function."""
    name = _module_name(path)
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                mod = ".".join(base[: len(base) - node.level + 1] + ([mod] if mod else []))
            found |= {mod, *(f"{mod}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m in modules and m != name and not m.startswith(name + ".")}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circles_between_modules():
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p) for p in files}
    graph = {_module_name(p): _imports(p, modules) for p in files}
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]  # the walk itself finds one


def test_the_stages_are_the_file_list():
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert {"spec", "workbook", "template", "intake", "judge", "report"} <= packages
    assert all(len(p.read_text(encoding="utf-8").splitlines()) <= 400 for p in PACKAGE.rglob("*.py"))


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """String constants of a module (docstrings left out), f-string parts included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def test_the_workbook_contract_is_spelled_in_one_module_only():
    meta_prefixes = tuple(f"{name}:" for name in (*contract.ANNEX_FIELDS, contract.ORIGIN))
    sheet_names = {contract.META_SHEET, contract.CHECK_SHEET, contract.LISTS_SHEET, contract.GUIDE_SHEET,
                   contract.REPORT_SHEET, contract.CHANGES_SHEET}
    offenders = []
    tests = [p for p in (REPO / "tests").rglob("*.py") if "corpus" not in p.parts]  # corpus/: a person's tool,
    for path in sorted([*PACKAGE.rglob("*.py"), *tests, *(REPO / "benchmarks").glob("*.py")]):  # outside our code
        if path == CONTRACT:
            continue
        for line, text in _string_literals(path):
            if text in sheet_names or text.startswith(meta_prefixes):
                offenders.append(f"{path.relative_to(REPO)}:{line}: {text!r}")
    assert not offenders, "\n".join(offenders)
    literals = [text for _, text in _string_literals(CONTRACT)]
    assert contract.META_SHEET in literals and contract.CHECK_SHEET in literals  # the test looks where it should


def test_the_wheel_ships_every_package(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(REPO)], check=True, capture_output=True, timeout=300)
    wheel, = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in PACKAGE.rglob("*"):
        if path.suffix in (".py", ".toml", ".tsv") and "__pycache__" not in path.parts:
            assert path.relative_to(REPO).as_posix() in names, path
