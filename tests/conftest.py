from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.template.batch import write_templates
from pipeline.workspace import Workspace, init_workspace, open_workspace

os.environ.setdefault("ANNEX_PDF", "0")  # LibreOffice prints the summary only in the tests about it

REPO = Path(__file__).resolve().parent.parent
Stock = Callable[..., None]


def needs(program: str) -> pytest.MarkDecorator:
    """Marks a test that needs a real spreadsheet program (or another office tool): it is an `office` test,
    skipped where the program is not installed (`pytest -m "not office"` leaves them all out)."""
    return pytest.mark.needs_program(program)


# The slowest modules start first (addopts: `--dist loadfile --no-loadscope-reorder`, modules in this order), so that
# one of them is not left for last on one worker while the other is idle (CPU seconds measured with -n 2: 34, 46 with
# the office tests, 3 without, 21, 12, 12, 12).
SLOW_FIRST = ("test_windows_console", "test_checks", "test_report_word", "test_validate", "test_hostile",
              "test_launcher")


def _start_rank(item: pytest.Item) -> int:
    name = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
    return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_start_rank)  # stable: the order within a module and among the others is kept
    for item in items:
        programs = [m.args[0] for m in item.iter_markers("needs_program")]
        if programs:
            item.add_marker(pytest.mark.office)
        missing = [p for p in programs if shutil.which(p) is None]
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"{', '.join(missing)} is not installed"))


@pytest.fixture
def ws_root(tmp_path: Path) -> Path:
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def ws(ws_root: Path) -> Workspace:
    return open_workspace(ws_root)


@pytest.fixture(scope="session")
def stock_written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, Path]]:
    """A default workspace whose templates are generated once per test session, with what `write_templates`
    returned (unit code → template). Read-only: a test that changes a template works on a copy."""
    stock = open_workspace(init_workspace(tmp_path_factory.mktemp("stock") / "ws"))
    return stock, {r.unit: r.path for r in write_templates(stock)}


@pytest.fixture(scope="session")
def stock_workspace(stock_written: tuple[Workspace, dict[str, Path]]) -> Workspace:
    return stock_written[0]


def _same_inputs(a: Workspace, b: Workspace) -> bool:
    return a.specs.digest == b.specs.digest and a.units == b.units and a.round == b.round


@pytest.fixture(scope="session")
def stock(stock_workspace: Workspace) -> Stock:
    """`stock(ws, codes=None)`: the default templates copied into `ws` (generated when `ws` differs from the
    default workspace, so a test that edits specs, units or the round still gets its own)."""

    def copy(ws: Workspace, codes: list[str] | None = None) -> None:
        if not _same_inputs(ws, stock_workspace):
            write_templates(ws, codes)
            return
        ws.templates.mkdir(parents=True, exist_ok=True)
        for unit in ws.units:
            if not codes or unit.code in codes:
                shutil.copy2(stock_workspace.templates / f"{unit.code}.xlsx", ws.templates / f"{unit.code}.xlsx")

    return copy


@pytest.fixture
def ready(ws: Workspace, stock: Stock) -> Workspace:
    stock(ws)
    return ws
