"""The workspace an office edits without code: round.toml, units.xlsx, schemas/, and the working folders."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import xlsxwriter
from python_calamine import CalamineError, load_workbook

from pipeline.spec.annex import SpecSet, load_specs
from pipeline.vntext import fold

UNITS_SHEET = "Đơn vị"
UNITS_HEADERS = ("Mã đơn vị", "Tên đơn vị", "Khối", "Phụ lục phải nộp", "Liên hệ")
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")  # Vietnam has no daylight saving time
FOLDERS = ("schemas", "templates_xlsx", "inbox", "outbox")


class WorkspaceError(ValueError):
    """A workspace that cannot be used; the message is Vietnamese and names the file and row."""


@dataclass(frozen=True)
class Header:
    khoi: tuple[str, ...]
    left: tuple[str, ...]
    right: tuple[str, ...]


@dataclass(frozen=True)
class Round:
    round_id: str
    title: str
    commune: str
    place: str
    period_start: dt.date
    period_end: dt.date
    deadline: dt.date
    parent: str = ""
    contact: str = ""
    headers: tuple[Header, ...] = ()

    @property
    def deadline_end(self) -> dt.datetime:
        """Files received up to the end of the deadline day (Vietnam time) are on time."""
        return dt.datetime.combine(self.deadline, dt.time(23, 59, 59), VN_TZ)

    @property
    def constants(self) -> dict[str, object]:
        return {"period_start": self.period_start, "period_end": self.period_end, "deadline": self.deadline}

    def header_for(self, khoi: str) -> Header:
        for h in self.headers:
            if fold(khoi) in {fold(k) for k in h.khoi}:
                return h
        return next((h for h in self.headers if not h.khoi), Header((), ("",), ("",)))


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    khoi: str
    annexes: tuple[str, ...]  # annex ids, e.g. ("PL1", "PL2")
    contact: str = ""
    row: int = 0  # Excel row in units.xlsx


@dataclass
class Workspace:
    root: Path
    round: Round
    units: list[Unit]
    specs: SpecSet
    unit_by_code: dict[str, Unit] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.unit_by_code = {u.code: u for u in self.units}

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


def init_workspace(target: Path) -> Path:
    """Create a workspace with the Phúc Thọ defaults; refuse to overwrite an existing one."""
    target.mkdir(parents=True, exist_ok=True)
    if (target / "round.toml").exists() or (target / "units.xlsx").exists():
        raise WorkspaceError(f"Thư mục {target} đã có round.toml hoặc units.xlsx; không ghi đè.")
    for folder in FOLDERS:
        (target / folder).mkdir(exist_ok=True)
    defaults = _defaults()
    (target / "round.toml").write_bytes((defaults / "round.toml").read_bytes())
    for item in (defaults / "schemas").iterdir():
        if item.name.endswith(".toml"):
            (target / "schemas" / item.name).write_bytes(item.read_bytes())
    write_units_xlsx(target / "units.xlsx", default_unit_rows())
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


def open_workspace(root: Path) -> Workspace:
    """Load and check a workspace; raise WorkspaceError/SpecError with a Vietnamese message."""
    root = root.resolve()
    if not (root / "round.toml").is_file():
        raise WorkspaceError(f"Không thấy {root / 'round.toml'}: đây chưa phải thư mục làm việc "
                             "(tạo mới bằng lệnh: annex init THƯ_MỤC).")
    rnd = load_round(root / "round.toml")
    specs = load_specs(root / "schemas")
    units = load_units(root / "units.xlsx", specs)
    for folder in FOLDERS[1:]:
        (root / folder).mkdir(exist_ok=True)
    return Workspace(root, rnd, units, specs)


def load_round(path: Path) -> Round:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"{path.name}: không đọc được ({exc}).") from None
    missing = [k for k in ("round_id", "title", "commune", "period_start", "period_end", "deadline")
               if k not in data]
    if missing:
        raise WorkspaceError(f"{path.name}: thiếu khóa {', '.join(missing)}.")
    for k in ("period_start", "period_end", "deadline"):
        if not isinstance(data[k], dt.date) or isinstance(data[k], dt.datetime):
            raise WorkspaceError(f"{path.name}: \"{k}\" phải là ngày dạng 2026-05-15.")
    if data["period_start"] > data["period_end"]:
        raise WorkspaceError(f"{path.name}: period_start phải trước period_end.")
    headers = tuple(Header(tuple(h.get("khoi", ())), tuple(h.get("left", ())), tuple(h.get("right", ())))
                    for h in data.get("headers", []))
    return Round(str(data["round_id"]), data["title"], data["commune"], data.get("place", data["commune"]),
                 data["period_start"], data["period_end"], data["deadline"], data.get("parent", ""),
                 data.get("contact", ""), headers)


def load_units(path: Path, specs: SpecSet) -> list[Unit]:
    if not path.is_file():
        raise WorkspaceError(f"Không thấy danh sách đơn vị {path}.")
    try:
        wb = load_workbook(str(path))
        rows = wb.get_sheet_by_name(UNITS_SHEET).to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError, KeyError) as exc:
        raise WorkspaceError(f"{path.name}: không đọc được trang \"{UNITS_SHEET}\" ({exc}).") from None
    if not rows or [fold(str(v)) for v in rows[0][:4]] != [fold(h) for h in UNITS_HEADERS[:4]]:
        raise WorkspaceError(f"{path.name}: dòng 1 trang \"{UNITS_SHEET}\" phải là các cột: "
                             f"{', '.join(UNITS_HEADERS)}.")
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for excel_row, row in enumerate(rows[1:], start=2):
        cells = [_cell_text(v) for v in list(row) + [""] * 5][:5]
        if not any(cells):
            continue
        units.append(_unit(path.name, excel_row, cells, specs, seen))
    if not units:
        raise WorkspaceError(f"{path.name}: danh sách đơn vị đang trống.")
    return units


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _unit(name: str, row: int, cells: list[str], specs: SpecSet, seen: dict[str, int]) -> Unit:
    code, unit_name, khoi, annex_text, contact = cells
    where = f"{name}, trang \"{UNITS_SHEET}\", dòng {row}"
    if not code:
        raise WorkspaceError(f"{where}: thiếu Mã đơn vị.")
    if not code.replace("_", "").replace("-", "").isalnum() or not code.isascii():
        raise WorkspaceError(f"{where}: Mã đơn vị \"{code}\" chỉ được gồm chữ không dấu, số, - và _.")
    if code in seen:
        raise WorkspaceError(f"{where}: Mã đơn vị \"{code}\" trùng với dòng {seen[code]}.")
    seen[code] = row
    if not unit_name:
        raise WorkspaceError(f"{where}: thiếu Tên đơn vị.")
    annexes: list[str] = []
    for part in annex_text.replace(";", ",").split(","):
        token = part.strip()
        if not token:
            continue
        spec = specs.by_code(token.removeprefix("PL").removeprefix("pl"))
        if spec is None:
            known = ", ".join(a.code for a in specs.annexes.values())
            raise WorkspaceError(f"{where}: phụ lục \"{token}\" không có trong đặc tả (có: {known}).")
        annexes.append(spec.id)
    if not annexes:
        raise WorkspaceError(f"{where}: chưa ghi Phụ lục phải nộp.")
    return Unit(code, unit_name, khoi, tuple(dict.fromkeys(annexes)), contact, row)
