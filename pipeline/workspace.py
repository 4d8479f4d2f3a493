"""The workspace an office edits without code: round.toml, units.xlsx, schemas/, and the working folders.

Reading and checking the settings is `pipeline.settings`' job; this module puts a workspace together."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import xlsxwriter

from pipeline.launcher import write_launcher
from pipeline.messages import Problem, WorkspaceError, say
from pipeline.settings import roundfile, state, unitsfile
from pipeline.settings.model import VN_TZ, Header, Round, Unit
from pipeline.spec.annex import SpecError, SpecSet, load_specs
from pipeline.vntext import fold

__all__ = ["VN_TZ", "Header", "Round", "Unit", "Workspace", "WorkspaceError", "init_workspace", "open_workspace"]

UNITS_SHEET = unitsfile.SHEET
UNITS_HEADERS = unitsfile.HEADERS
FOLDERS = ("schemas", "templates_xlsx", "inbox", "outbox")


@dataclass
class Workspace:
    root: Path
    round: Round
    units: list[Unit]
    specs: SpecSet
    unit_by_code: dict[str, Unit] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)  # settings the clerk should look at (not refused)

    def __post_init__(self) -> None:
        self.unit_by_code = {u.code: u for u in self.units}

    @functools.cached_property
    def units_by_folded_code(self) -> dict[str, str]:
        return {u.code.casefold(): u.code for u in self.units}

    @functools.cached_property
    def folded_units(self) -> list[tuple[Unit, str, str]]:
        """(unit, its folded name, "(mã code)" folded): matched against every file's header, so computed once."""
        return [(u, fold(u.name), f"(mã {u.code.casefold()})") for u in self.units]

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def templates(self) -> Path:
        return self.root / "templates_xlsx"


def _defaults() -> Any:
    return resources.files("pipeline") / "defaults"


def init_workspace(target: Path, launcher: bool = True) -> Path:
    """Create a workspace with the Phúc Thọ defaults and its double-click launcher; refuse to overwrite one."""
    target.mkdir(parents=True, exist_ok=True)
    if (target / "round.toml").exists() or (target / "units.xlsx").exists():
        raise WorkspaceError(say("init_exists", str(target)))
    for folder in FOLDERS:
        (target / folder).mkdir(exist_ok=True)
    defaults = _defaults()
    (target / "round.toml").write_bytes((defaults / "round.toml").read_bytes())
    (target / "baocao.toml").write_bytes((defaults / "baocao.toml").read_bytes())  # the report's outline
    for item in (defaults / "schemas").iterdir():
        if item.name.endswith(".toml"):
            (target / "schemas" / item.name).write_bytes(item.read_bytes())
    write_units_xlsx(target / "units.xlsx", default_unit_rows())
    if launcher:
        write_launcher(target)
    return target


def default_unit_rows() -> list[list[str]]:
    text = (_defaults() / "units.tsv").read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines()[1:] if line.strip()]


def write_units_xlsx(path: Path, rows: list[list[str]]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = wb.add_worksheet(UNITS_SHEET)
    head = wb.add_format({"bold": True, "font_name": "Times New Roman", "bg_color": "#DDEBF7", "border": 1})
    body = wb.add_format({"font_name": "Times New Roman", "border": 1})
    for c, title in enumerate(UNITS_HEADERS):
        sheet.write_string(0, c, title, head)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value, body)
    for c, width in enumerate((12, 36, 18, 20, 36)):
        sheet.set_column(c, c, width)
    sheet.freeze_panes(1, 0)
    wb.close()


def open_workspace(root: Path, receiving: bool = False, command: str = "collect") -> Workspace:
    """Load and check a workspace; raise WorkspaceError naming each mistake's file and line or cell.
    `receiving`: the command reads what units sent, so a round_id changed since the templates went out is refused."""
    root = root.resolve()
    rf = roundfile.read_round(_round_path(root, command))
    try:
        specs = load_specs(root / "schemas")
    except SpecError as exc:
        raise WorkspaceError(str(exc)) from None
    path, warnings = unitsfile.find_units(root)
    units, unit_warnings = unitsfile.read_units(path, specs)
    errors, khoi_warnings = roundfile.check_khoi(rf, units)
    if receiving:
        renamed = state.renamed_round(root, rf.round.round_id, rf.line("round_id"))
        errors += [renamed] if renamed else []
    if errors:
        raise WorkspaceError(errors)
    for folder in FOLDERS[1:]:
        (root / folder).mkdir(exist_ok=True)
    return Workspace(root, rf.round, units, specs, warnings=[*rf.warnings, *round_txt_warnings(root), *warnings,
                                                                 *unit_warnings, *khoi_warnings])


def _round_path(root: Path, command: str) -> Path:
    """round.toml; a copy Notepad saved as round.toml.txt is named when round.toml is missing or older."""
    path = root / roundfile.NAME
    saved = [p for p in (root / "round.toml.txt", root / "round.txt") if p.is_file()]
    if not path.is_file():
        if saved:
            raise WorkspaceError(say("saved_as_txt", saved[0].name, name=saved[0].name))
        raise state.not_workspace(root, command)
    return path


def round_txt_warnings(root: Path) -> list[Problem]:
    """A round.toml.txt newer than round.toml: the clerk's edit probably went there."""
    path = root / roundfile.NAME
    return [say("txt_beside", p.name, name=p.name, severity="warning")
            for p in (root / "round.toml.txt", root / "round.txt")
            if p.is_file() and path.is_file() and p.stat().st_mtime > path.stat().st_mtime]


def load_units(path: Path, specs: SpecSet) -> list[Unit]:
    """The units of a units.xlsx (raises WorkspaceError naming each wrong cell)."""
    return unitsfile.read_units(path, specs)[0]
