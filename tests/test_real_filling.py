"""Templates edited by a real spreadsheet program as people do (LibreOffice 7.4 driven through UNO: see
tests/corpus/ and tests/fixtures/real/README.md), each read right or refused with the edit named.

For every file: its status and the issues it must carry; then, value by value, everything the person typed
is either in the data exactly or named in a message (its cell, or a refusal of its sheet or of the file).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import unicodedata

import pytest

from pipeline.collect import collect
from pipeline.issues import NOT_READ, Severity
from pipeline.models import ACCEPTED, Decision
from pipeline.workbook.contract import Layout, cell

from .conftest import REPO

CORPUS = REPO / "tests" / "fixtures" / "real"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["files"]
OK = ACCEPTED

# file -> (status, {issue code: cell where it must be, or "" for anywhere})
EXPECTED: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "pkt_filled.xlsx": (OK, {}),
    "pkt_filled.xls": (OK, {}),
    "pkt_filled.ods": (OK, {}),
    "vi_locale_typing.xlsx": (("rejected",), {"above_max": "PL1!D12", "number_like_date": "PL1!D12",
                                              "number_with_unit": "PL1!D25"}),
    "pl2_row_deleted.xlsx": (OK, {}),
    "pl2_row_deleted.ods": (OK, {}),
    "pl2_rows_below_table.xlsx": (OK, {"row_below_read": "PL2!B212"}),
    "pl1_row_inserted.xlsx": (("accepted_with_warnings",), {"form_rows_moved": "PL1!D35", "form_row_added": "PL1!B34"}),
    "pl1_note_beside_value.xlsx": (OK, {"note_read": "PL1!E19"}),
    "pl2_row_inserted_inside.xlsx": (OK, {}),
    "pl3_sorted.xlsx": (OK, {"rows_sorted": ""}),
    "pl4b_renamed.xlsx": (OK, {"sheet_renamed": ""}),
    "pl4b_merged.xlsx": (("accepted_with_warnings",), {"merged_hidden_value": "PL4b!D16"}),
    "pl2_column_inserted.xlsx": (("rejected",), {"column_inserted": "PL2!I9"}),
    "pl2_header_in_dong.xlsx": (("rejected",), {"header_changed": "PL2!I10"}),
    "dtn_template_filled_by_hlhpn.xlsx": (("rejected",), {"unit_mismatch": "PL1!A6"}),
    "tyt_blank.xlsx": (("rejected",), {"annex_empty": "PL2!B12"}),
    "formula_errors.xlsx": (("rejected",), {"formula_error": "PL1!D24"}),
    "pkt_first_sheet.csv": (("rejected",), {"csv_file": ""}),
    "pkt_pl1_sheet.csv": (("rejected",), {"csv_file": ""}),
    "external_link.xlsx": (("rejected",), {"external_link": ""}),
    "pl2_pasted.xlsx": (OK, {}),
}


def test_every_corpus_file_has_an_expectation():
    assert set(EXPECTED) == set(MANIFEST)


@pytest.fixture(scope="module")
def results(tmp_path_factory, stock) -> dict[str, Decision]:
    """Each file collected in a workspace of its own (two files of one unit would supersede each other)."""
    from pipeline.workspace import init_workspace, open_workspace

    out = {}
    for name in MANIFEST:
        ws = open_workspace(init_workspace(tmp_path_factory.mktemp("real") / "ws"))
        shutil.copy(CORPUS / name, ws.inbox / name)
        out[name], = collect(ws, write_outputs=False).files
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_status_and_issues(results, name):
    d = results[name]
    statuses, codes = EXPECTED[name]
    assert d.unit == MANIFEST[name]["unit"]
    assert d.status in statuses, [(i.code, i.where, i.message) for i in d.issues]
    for code, where in codes.items():
        hits = [i for i in d.issues if i.code == code]
        assert hits, (code, [(i.code, i.where) for i in d.issues])
        if where:
            assert where in {f"{i.sheet}!{i.cell}" for i in hits}, (code, [i.where for i in hits])
    assert all(".xml" not in i.message for i in d.issues)
    if d.status in ACCEPTED:
        assert not [i for i in d.issues if i.severity == Severity.ERROR]


def _number(text: str, locale: str) -> float | None:
    t = text.replace(" ", "").replace("\u00a0", "")
    if locale == "vi-VN":
        t = t.replace(".", "").replace(",", ".")
    try:
        return float(t)
    except ValueError:
        return None


def _date(text: str) -> dt.date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _same(typed: str, value: object, locale: str) -> bool:
    """The test's own reading of what was typed (not the program's), against the value in the data."""
    if isinstance(value, float):
        number = _number(typed, locale)
        return number is not None and abs(number - value) <= 1e-9 * max(1.0, abs(value))
    if isinstance(value, dt.date):
        return _date(typed) == value
    norm = unicodedata.normalize("NFC", " ".join(typed.split()))
    return isinstance(value, str) and norm == value


def _read_cells(d: Decision) -> dict[tuple[str, str], object]:
    sub = d.submission
    out: dict[tuple[str, str], object] = {}
    if sub is None:
        return out
    for data in sub.annexes.values():
        for row, record in zip(data.rows, data.records, strict=True):
            for key, value in record.items():
                if key != data.spec.row_key and value is not None:
                    out[(data.sheet, data.cell_of(key, row))] = value
        lay = Layout(data.spec)
        for key, note in data.notes.items():
            out[(data.sheet, cell(data.moved.get(key, lay.row_of(key)), lay.note_col))] = note
    return out


def _named(d: Decision) -> tuple[set[tuple[str, str]], set[str], bool]:
    """Cells named by a message, sheets refused whole by an error, and whether the whole file was refused."""
    cells, sheets = set(), set()
    for i in d.issues:
        for ref in [i.cell, *(r.strip() for r in i.related.split(",") if r.strip())]:
            if ref:
                sheet, _, ref = ref.rpartition("!")
                cells.add((sheet or i.sheet, ref))
        if i.severity == Severity.ERROR and i.sheet:
            sheets.add(i.sheet)
    return cells, sheets, any(i.code in NOT_READ for i in d.issues)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_typed_value_is_read_exactly_or_named(results, name):
    d, entry = results[name], MANIFEST[name]
    read, (named, refused_sheets, refused_file) = _read_cells(d), _named(d)
    lost = []
    for typed in entry["typed"]:
        where = (typed["sheet"], typed["cell"])
        if where in named or typed["sheet"] in refused_sheets or refused_file:
            continue
        value = read.get(where)
        if value is None or not _same(typed["typed"], value, entry.get("locale", "en-US")):
            lost.append((where, typed["typed"], value))
    assert not lost, lost
