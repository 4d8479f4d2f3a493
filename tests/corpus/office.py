"""Drive a headless LibreOffice the way a person edits a spreadsheet, and remember what was typed where.

Values go in through the dispatcher (`.uno:GoToCell` then `.uno:EnterString`), so LibreOffice parses
them with the profile's locale exactly as typed text; rows, columns, sorting, merging and renaming go
through the sheet API, as the menu commands do. Needs Debian's python3-uno: run with /usr/bin/python3.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.table import TableSortField
from com.sun.star.uno import RuntimeException as UnoRuntimeException

FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "xls": "MS Excel 97", "ods": "calc8",
           "csv": "Text - txt - csv (StarCalc)"}
CSV_OPTIONS = "44,34,76,1"  # comma, double quote, UTF-8, from line 1 (LibreOffice's defaults otherwise)

# A fresh profile: the locale ("Locale setting" in Tools > Options > Language Settings) decides how typed
# numbers and dates are read, as on a person's PC. The formula bar (child window 26100, the input line)
# is switched off: Debian's libreoffice-calc-nogui lacks its modules/scalc/ui/posbox.ui, and when a save
# or close lets LibreOffice build it for our hidden frame, the missing file throws inside a timer and the
# scheduler aborts the whole instance (SIGABRT). Autosave and recovery data are off too.
PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">
<value>{locale}</value></prop></item>
<item oor:path="/org.openoffice.Office.Views/Windows"><node oor:name="26100" oor:op="replace">
<prop oor:name="Visible" oor:op="fuse"><value>false</value></prop></node></item>
<item oor:path="/org.openoffice.Office.Recovery/AutoSave"><prop oor:name="Enabled" oor:op="fuse">
<value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Recovery/RecoveryInfo"><prop oor:name="Enabled" oor:op="fuse">
<value>false</value></prop></item>
</oor:items>
"""


SUCCESS = 1  # com.sun.star.frame.DispatchResultState.SUCCESS


class SaveFailed(RuntimeError):
    """Save As reported failure (for instance a stale lock file left by a crashed instance)."""


def remove_lock(path: Path) -> None:
    """Delete LibreOffice's lock file for `path`, left behind when an instance died holding it."""
    path.with_name(f".~lock.{path.name}#").unlink(missing_ok=True)


def prop(name: str, value: Any) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def col_letter(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def split_cell(cell: str) -> tuple[int, int]:
    """"D12" -> (row 12, column index 3)."""
    letters = "".join(ch for ch in cell if ch.isalpha())
    return int(cell[len(letters):]), col_index(letters)


def as_typed(value: Any, locale: str) -> str:
    """What a person types for a value: strings verbatim; numbers and dates in the locale's way."""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat() if locale == "en-US" else f"{value.day}/{value.month}/{value.year}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = format(value, ".15g") if isinstance(value, float) else str(value)
    return text if locale == "en-US" else text.replace(".", ",")


class Office:
    """One headless LibreOffice with its own fresh profile and a UNO socket; restartable."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.proc: subprocess.Popen | None = None
        self.profile: Path | None = None
        self.desktop: Any = None
        self.dispatcher: Any = None

    def start(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="annex-lo-profile-"))
        (self.profile / "user").mkdir()
        (self.profile / "user" / "registrymodifications.xcu").write_text(
            PROFILE_XCU.format(locale=self.locale), encoding="utf-8")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             f"--accept=socket,host=127.0.0.1,port={port};urp;", f"-env:UserInstallation={self.profile.as_uri()}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        url = f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
        for _ in range(300):
            try:
                ctx = resolver.resolve(url)
                break
            except NoConnectException:
                time.sleep(0.1)
        else:
            raise RuntimeError("LibreOffice did not open its UNO socket within 30 s")
        smgr = ctx.ServiceManager
        self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        self.dispatcher = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)

    def stop(self) -> None:
        """Ask LibreOffice to quit; kill its process group (ours, by id) if it does not."""
        if self.proc is None:
            return
        with contextlib.suppress(UnoRuntimeException):  # already dead: the process is reaped below
            self.desktop.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait(timeout=20)
        self.proc = None
        shutil.rmtree(self.profile, ignore_errors=True)

    def kill(self) -> None:
        """For a hung instance: kill the process group this object started."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def open(self, path: Path) -> Any:
        remove_lock(path)
        return self.desktop.loadComponentFromURL(path.resolve().as_uri(), "_blank", 0, (prop("Hidden", True),))

    def new_document(self) -> Any:
        return self.desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))

    def dispatch(self, doc: Any, command: str, **args: Any) -> Any:
        frame = doc.getCurrentController().getFrame()
        return self.dispatcher.executeDispatch(frame, command, "", 0, tuple(prop(k, v) for k, v in args.items()))


@dataclass
class Typed:
    """One value typed (or pasted) into the document; row and column follow later structural edits."""
    sheet: str
    row: int
    col: int
    text: str
    how: str = "typed"

    def as_json(self) -> dict[str, str]:
        out = {"sheet": self.sheet, "cell": f"{col_letter(self.col)}{self.row}", "typed": self.text}
        if self.how != "typed":
            out["how"] = self.how
        return out


@dataclass
class Person:
    """A person editing one open document: every value typed and every structural edit is recorded."""
    office: Office
    doc: Any
    locale: str
    typed: list[Typed] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)

    # -- looking -------------------------------------------------------------------------------
    def sheet(self, name: str) -> Any:
        return self.doc.Sheets.getByName(name)

    def text(self, sheet: str, cell: str) -> str:
        return self.sheet(sheet).getCellRangeByName(cell).getString()

    def meta(self) -> dict[str, str]:
        rows = self.sheet("_meta").getCellRangeByName("A1:B400").getDataArray()
        return {str(k): str(v) for k, v in rows if k}

    def annex_cells(self, annex: str) -> tuple[str, list[list[str]]]:
        """The sheet and the grid of input cells that the template's `<ANNEX>_data` name covers."""
        a = self.doc.NamedRanges.getByName(f"{annex}_data").getReferredCells().getRangeAddress()
        grid = [[f"{col_letter(c)}{r + 1}" for c in range(a.StartColumn, a.EndColumn + 1)]
                for r in range(a.StartRow, a.EndRow + 1)]
        return self.doc.Sheets.getByIndex(a.Sheet).Name, grid

    def cell_of(self, annex: str, key: str, row: int = 0) -> tuple[str, str]:
        """(sheet, cell) of a field: the form's row for `key`, or row `row` of a table's column `key`."""
        keys = self.meta()[f"columns:{annex}"].split(",")
        sheet, grid = self.annex_cells(annex)
        return sheet, grid[keys.index(key)][0] if len(grid[0]) == 1 else grid[row][keys.index(key)]

    def find(self, sheet: str, text: str) -> str:
        """The first cell (row by row) whose text is `text` or, ending in '…', starts with it."""
        rows = self.sheet(sheet).getCellRangeByName("A1:AZ300").getDataArray()
        for r, values in enumerate(rows):
            for c, v in enumerate(values):
                if isinstance(v, str) and (v == text or (text.endswith("…") and v.startswith(text[:-1]))):
                    return f"{col_letter(c)}{r + 1}"
        raise LookupError(f"{text!r} not on {sheet}")

    # -- typing ---------------------------------------------------------------------------------
    def select(self, sheet: str, cells: str) -> None:
        self.doc.getCurrentController().setActiveSheet(self.sheet(sheet))
        self.office.dispatch(self.doc, ".uno:GoToCell", ToPoint=cells)

    def type(self, sheet: str, cell: str, value: Any) -> None:
        text = as_typed(value, self.locale)
        self.select(sheet, cell)
        self.office.dispatch(self.doc, ".uno:EnterString", StringName=text)
        self.forget(sheet, cell)  # typing over a cell replaces what was typed there before
        self.typed.append(Typed(sheet, *split_cell(cell), text))

    def fill(self, data: dict[str, Any]) -> None:
        """Type every value of `data` (annex -> record or records) into the template's input cells."""
        for annex, payload in data.items():
            sheet = self.annex_cells(annex)[0]
            for cells, record in self.placements(annex, payload):
                for key, cell in cells.items():
                    if record.get(key) not in (None, ""):
                        self.type(sheet, cell, record[key])

    def placements(self, annex: str, payload: Any) -> list[tuple[dict[str, str], dict[str, Any]]]:
        """(key -> cell, record) pairs: a form's one record; a table's records row by row, or on the row
        of their preset key (PL3's locked field labels, which are not typed)."""
        meta = self.meta()
        keys = meta[f"columns:{annex}"].split(",")
        sheet, grid = self.annex_cells(annex)
        if meta[f"layout:{annex}"] == "form":
            return [(dict(zip(keys, (row[0] for row in grid), strict=True)), payload)]
        row_key = meta.get(f"row_key:{annex}", "")
        if row_key:
            where = {self.text(sheet, row[keys.index(row_key)]): row for row in grid}
            rows = [where[record[row_key]] for record in payload]
        else:
            rows = grid[:len(payload)]
        return [({k: c for k, c in zip(keys, row, strict=True) if k != row_key}, record)
                for row, record in zip(rows, payload, strict=True)]

    def forget(self, sheet: str, cell: str) -> None:
        """Drop the record of a value that no longer exists in the document as typed."""
        row, col = split_cell(cell)
        self.typed = [t for t in self.typed if (t.sheet, t.row, t.col) != (sheet, row, col)]

    # -- structure (sheet API, as the menu commands) ----------------------------------------------
    def unprotect(self, sheet: str) -> None:
        """Tools > Protect Sheet off: the templates' protection has no password."""
        self.sheet(sheet).unprotect("")
        self.edits.append({"op": "unprotect_sheet", "sheet": sheet})

    def insert_row(self, sheet: str, row: int) -> None:
        """A new empty row `row`; the rows from `row` down move one down."""
        self.sheet(sheet).getRows().insertByIndex(row - 1, 1)
        for t in self.typed:
            if t.sheet == sheet and t.row >= row:
                t.row += 1
        self.edits.append({"op": "insert_row", "sheet": sheet, "row": row})

    def delete_row(self, sheet: str, row: int) -> None:
        self.sheet(sheet).getRows().removeByIndex(row - 1, 1)
        self.typed = [t for t in self.typed if not (t.sheet == sheet and t.row == row)]
        for t in self.typed:
            if t.sheet == sheet and t.row > row:
                t.row -= 1
        self.edits.append({"op": "delete_row", "sheet": sheet, "row": row})

    def insert_column(self, sheet: str, column: str) -> None:
        col = col_index(column)
        self.sheet(sheet).getColumns().insertByIndex(col, 1)
        for t in self.typed:
            if t.sheet == sheet and t.col >= col:
                t.col += 1
        self.edits.append({"op": "insert_column", "sheet": sheet, "column": column})

    def delete_column(self, sheet: str, column: str) -> None:
        col = col_index(column)
        self.sheet(sheet).getColumns().removeByIndex(col, 1)
        self.typed = [t for t in self.typed if not (t.sheet == sheet and t.col == col)]
        for t in self.typed:
            if t.sheet == sheet and t.col > col:
                t.col -= 1
        self.edits.append({"op": "delete_column", "sheet": sheet, "column": column})

    def sort_rows(self, sheet: str, cells: str, by: str, key: str, descending: bool) -> None:
        """Data > Sort on `cells` by column `by`; `key` is a column whose values tell the rows apart."""
        rng = self.sheet(sheet).getCellRangeByName(cells)
        first_row, first_col = split_cell(cells.split(":")[0])
        last_row = split_cell(cells.split(":")[1])[0]
        keys_before = {self.text(sheet, f"{key}{r}"): r for r in range(first_row, last_row + 1)}
        field_ = TableSortField()
        field_.Field, field_.IsAscending = col_index(by) - first_col, not descending
        descriptor = rng.createSortDescriptor()
        for p in descriptor:
            if p.Name == "SortFields":
                p.Value = uno.Any("[]com.sun.star.table.TableSortField", (field_,))
        rng.sort(descriptor)
        moved = {keys_before[self.text(sheet, f"{key}{r}")]: r for r in range(first_row, last_row + 1)}
        for t in self.typed:
            if t.sheet == sheet and t.row in moved:
                t.row = moved[t.row]
        self.edits.append({"op": "sort_rows", "sheet": sheet, "range": cells, "by_column": by,
                           "order": "descending" if descending else "ascending"})

    def merge(self, sheet: str, cells: str) -> None:
        """Format > Merge Cells, keeping the hidden cells' contents (the API's way, no dialog)."""
        self.sheet(sheet).getCellRangeByName(cells).merge(True)
        self.edits.append({"op": "merge", "sheet": sheet, "range": cells})

    def rename_sheet(self, old: str, new: str) -> None:
        self.sheet(old).setName(new)
        for t in self.typed:
            if t.sheet == old:
                t.sheet = new
        self.edits.append({"op": "rename_sheet", "from": old, "to": new})

    def paste(self, source: Person, source_cells: str, sheet: str, cell: str) -> None:
        """Ctrl+C in another workbook, Ctrl+V here (a plain paste: values and the source's cell formats)."""
        source.select(source.doc.Sheets.getByIndex(0).Name, source_cells)
        self.office.dispatch(source.doc, ".uno:Copy")
        self.select(sheet, cell)
        self.office.dispatch(self.doc, ".uno:Paste")
        row0, col0 = split_cell(cell)
        src_row0, src_col0 = split_cell(source_cells.split(":")[0])
        for t in source.typed:
            self.typed.append(Typed(sheet, t.row - src_row0 + row0, t.col - src_col0 + col0, t.text, "pasted"))
        last_row = max(t.row for t in self.typed if t.how == "pasted")
        last_col = max(t.col for t in self.typed if t.how == "pasted")
        self.edits.append({"op": "paste", "sheet": sheet, "range": f"{cell}:{col_letter(last_col)}{last_row}",
                           "source": "another workbook, plain paste"})

    # -- saving ---------------------------------------------------------------------------------
    def save_as(self, path: Path, fmt: str, options: str = "") -> None:
        """File > Save As in format `fmt` (keeping that format when asked)."""
        args: dict[str, Any] = {"URL": path.resolve().as_uri(), "FilterName": FILTERS[fmt]}
        if options or fmt == "csv":
            args["FilterOptions"] = options or CSV_OPTIONS
        remove_lock(path)
        result = self.office.dispatch(self.doc, ".uno:SaveAs", **args)
        if result is None or result.State != SUCCESS:
            raise SaveFailed(f"LibreOffice did not save {path.name}")

    def close(self) -> None:
        self.doc.close(True)

    def typed_json(self, sheets: set[str] | None = None) -> list[dict[str, str]]:
        chosen = [t for t in self.typed if sheets is None or t.sheet in sheets]
        return [t.as_json() for t in sorted(chosen, key=lambda t: (t.sheet, t.row, t.col))]
