from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.demo.run import DemoResult, run_demo
from pipeline.template.batch import write_templates
from pipeline.workspace import Workspace, init_workspace, open_workspace

os.environ.setdefault("ANNEX_PDF", "0")  # LibreOffice prints the summary only in the tests about it
# Python caches compiled modules, as on a user's machine (some hosts set PYTHONDONTWRITEBYTECODE: every command the
# tests start, and every test process, then compiled the whole program again, a tenth of the suite's time).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

REPO = Path(__file__).resolve().parent.parent
Stock = Callable[..., None]


def needs(program: str) -> pytest.MarkDecorator:
    """Marks a test that needs a real spreadsheet program (or another office tool): it is an `office` test,
    skipped where the program is not installed (`pytest -m "not office"` leaves them all out)."""
    return pytest.mark.needs_program(program)


# How the test processes share the work (`-n 2`; addopts: `--dist loadgroup --no-loadscope-reorder`): each test goes
# to whichever process is free, except that the tests of a module in GROUPS go together to one process, which builds
# their module fixture (or the shared demo run) once. The grouping is done here (`pytest_xdist_make_scheduler`):
# xdist's own `xdist_group` marks are lost with pytest 9 (each module fixture was built on both processes).
GROUPS = {"test_report_word": "demo", "test_paper": "demo", "test_validate": "test_validate",
          "test_real_filling": "test_real_filling", "test_summary": "test_summary", "test_settings": "test_settings",
          "test_rule_semantics": "test_rule_semantics"}
# The longest tests (or groups) start first, so that none is left for last on one process while the other is idle
# (seconds measured with -n 2: the office tests' template formulas against LibreOffice 32, the demo group 21 without
# the office tests; then, as listed, 15 to 3); the rest follow in the order of the files.
SLOW_FIRST = ("test_checks.py::test_template_formulas_agree", "demo", "test_windows_console.py::test_every_command",
              "test_validate", "test_launcher.py::test_the_quick_start_demo", "test_watch.py::test_watch_end_to_end",
              "test_rollup.py::", "test_hostile.py::test_a_run_killed", "test_narrative.py::test_reports_edited",
              "test_real_filling", "test_summary", "test_checks", "test_stamp.py::", "test_interrupt.py::",
              "test_incremental.py::test_adding")


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")


def work_unit(nodeid: str) -> str:
    """What one test process takes at a time: the group of the test's module, or the test alone."""
    return GROUPS.get(_module(nodeid), nodeid)


def _start_rank(item: pytest.Item) -> int:
    unit = work_unit(item.nodeid)
    return next((n for n, slow in enumerate(SLOW_FIRST) if slow == unit or slow in item.nodeid), len(SLOW_FIRST))


def _check_groups(items: list[pytest.Item]) -> None:
    """A module whose tests share a module-scoped fixture (or the demo run) is in GROUPS: the fixture is built once."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info else ()
        if (any(d and d[-1].scope == "module" for d in defs) or "demo_run" in item.fixturenames) and \
                _module(item.nodeid) not in GROUPS:
            raise pytest.UsageError(f"{_module(item.nodeid)} shares a module fixture: add it to GROUPS in conftest.py")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _check_groups(items)
    items.sort(key=_start_rank)  # stable: the order within a module and among the others is kept
    for item in items:
        programs = [m.args[0] for m in item.iter_markers("needs_program")]
        if programs:
            item.add_marker(pytest.mark.office)
        missing = [p for p in programs if shutil.which(p) is None]
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"{', '.join(missing)} is not installed"))


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: without it, tests run in one process
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """With `--dist loadgroup`: a test process takes one `work_unit` at a time, in the order of the collection."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return GroupScheduling(config, log)


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


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> DemoResult:
    """The demo (templates, the units' files, collect, drafts) run once for the modules that read it (one group in
    GROUPS). Read-only: a test that changes it works on a copy. Collect prints the summary to PDF only when an office
    test that uses the demo is in the run (`-m "not office"` leaves LibreOffice out)."""
    printing = any("demo_run" in item.fixturenames and item.get_closest_marker("office")
                   and not item.get_closest_marker("skip") for item in request.session.items)
    mp = pytest.MonkeyPatch()
    mp.setenv("ANNEX_PDF", "1" if printing else "0")
    try:
        return run_demo(tmp_path_factory.mktemp("demo") / "demo", workers=1)
    finally:
        mp.undo()
