"""Build tests/fixtures/real/: our templates edited by LibreOffice as people edit them (issue #16).

Run with Debian's interpreter (python3-uno is importable from it only):

    ANNEX_PYTHON=/path/to/project/.venv/bin/python /usr/bin/python3 tests/corpus/make_real.py

ANNEX_PYTHON (default: .venv/bin/python of this checkout) runs `python -m pipeline init/templates`
to make the templates. One headless LibreOffice per locale (its own fresh profile; en-US, or vi-VN for
Vietnamese typing) runs the cases of cases.py one after the other: each output file is one session that
opens a fresh copy of a unit's template, types ordinary valid data (pipeline/demo/data.py) plus the
case's one oddity, and saves once. manifest.json records what was typed where and the structural edits;
expected statuses are deliberately not recorded. Takes well under a minute.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

import uno  # noqa: F401  (installs the import hook that the com.sun.star imports need)
from com.sun.star.uno import RuntimeException as UnoRuntimeException

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT)]
from cases import CASES, Case, Ctx  # noqa: E402
from office import Office, Person, SaveFailed  # noqa: E402

from pipeline.demo.data import unit_payload  # noqa: E402  (pure Python: random and datetime only)

OUT = ROOT / "tests" / "fixtures" / "real"
SEED = 7  # of the demo data generator, as in the tests
CASE_TIMEOUT = 120  # seconds before a hung LibreOffice is killed (then restarted and the case retried)
ATTEMPTS = 2  # a dead or hung instance is restarted and the case run once more


# -- running ------------------------------------------------------------------------------------
def make_workspace(python: str, where: Path) -> tuple[Path, dt.date]:
    """A fresh workspace with every unit's template, made by the project's own CLI."""
    ws = where / "ws"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["init", str(ws)], ["templates", "--workspace", str(ws)]):
        subprocess.run([python, "-m", "pipeline", *args], check=True, env=env, cwd=ROOT, capture_output=True)
    period_end = tomllib.loads((ws / "round.toml").read_text(encoding="utf-8"))["period_end"]
    return ws, period_end


def unit_names() -> dict[str, str]:
    lines = (ROOT / "pipeline" / "defaults" / "units.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return {cols[0]: cols[1] for cols in (line.split("\t") for line in lines if line)}


def ordinary_data(p: Person, code: str, period_end: dt.date) -> dict[str, Any]:
    """Plausible valid figures for every annex of the opened template, as unit `code` would report."""
    annexes = tuple(p.meta()["annexes"].split(","))
    return unit_payload(random.Random(SEED), code, unit_names()[code], annexes, period_end)


def save(p: Person, case: Case, fmt: str, scratch: Path) -> tuple[Path, set[str] | None]:
    """Save in `fmt` into the scratch folder; returns the file and, for CSV, the sheet it holds."""
    target = scratch / f"{case.name}.{fmt}"
    if fmt != "csv":
        p.save_as(target, fmt)
        return target, None
    index = max(case.csv_sheet, 1) - 1
    sheet = p.doc.Sheets.getByIndex(index).Name
    options = f"44,34,76,1,,0,false,true,true,false,false,{case.csv_sheet}" if case.csv_sheet else ""
    p.save_as(target, fmt, options)
    written = target.with_name(f"{case.name}-{sheet}.csv")  # the filter names the file after the sheet
    if written.exists():
        written.replace(target)
    return target, {sheet}


def run_case(office: Office, case: Case, fmt: str, ws: Path, period_end: dt.date, scratch: Path) -> dict:
    """One person session: open a fresh copy of the template, edit, save once in `fmt`."""
    work = scratch / "open" / f"{case.name}.{fmt}.xlsx"
    work.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ws / "templates_xlsx" / f"{case.unit}.xlsx", work)
    p = Person(office, office.open(work), case.locale)
    note = case.edit(p, Ctx(ordinary_data(p, case.filled_by or case.unit, period_end), scratch))
    path, sheets = save(p, case, fmt, scratch)
    p.close()
    return {path.name: manifest_entry(case, fmt, p, sheets, note)}


def manifest_entry(case: Case, fmt: str, p: Person, sheets: set[str] | None, note: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"unit": case.unit, "format": fmt, "locale": case.locale,
                             "behaviour": case.behaviour, "description": case.description}
    if case.filled_by:
        entry["filled_by"] = case.filled_by
    if sheets:
        entry["csv_sheet"] = next(iter(sheets))
    entry["edits"] = p.edits
    entry["typed"] = p.typed_json(sheets)
    if note:
        entry["note"] = note
    return entry


def run_with_retry(office: Office, case: Case, *args: Any) -> dict[str, dict]:
    """Run a case; if LibreOffice dies, hangs or fails to save, restart it and run the case again."""
    for attempt in range(1, ATTEMPTS + 1):
        watchdog = threading.Timer(CASE_TIMEOUT, office.kill)
        watchdog.start()
        try:
            return run_case(office, case, *args)
        except (UnoRuntimeException, SaveFailed) as exc:  # DisposedException included: the instance died
            if attempt == ATTEMPTS:
                raise
            print(f"  {case.name}: LibreOffice failed ({type(exc).__name__}); restarting it, trying again")
        finally:
            watchdog.cancel()
        office.restart()
    raise AssertionError("unreachable")


def generate(ws: Path, period_end: dt.date, scratch: Path) -> dict[str, dict]:
    """Every case in every format, into `scratch`; returns the manifest entries by file name."""
    files: dict[str, dict] = {}
    for locale in dict.fromkeys(case.locale for case in CASES):
        office = Office(locale)
        office.start()
        try:
            for case in (c for c in CASES if c.locale == locale):
                t0 = time.monotonic()
                for fmt in case.formats:
                    files.update(run_with_retry(office, case, fmt, ws, period_end, scratch))
                print(f"  {case.name} ({', '.join(case.formats)}): {time.monotonic() - t0:.1f} s")
        finally:
            office.stop()
    return {f"{c.name}.{fmt}": files[f"{c.name}.{fmt}"] for c in CASES for fmt in c.formats}


def publish(files: dict[str, dict], scratch: Path) -> None:
    """Replace the fixtures (all but the README) with the new files and their manifest."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name != "README.md":
            old.unlink()
    for name in files:
        shutil.copy(scratch / name, OUT / name)
    version = subprocess.run(["soffice", "--version"], capture_output=True, text=True).stdout.strip()
    manifest = {"generator": "tests/corpus/make_real.py", "libreoffice": version, "files": files}
    (OUT / "manifest.json").write_text(to_json(manifest) + "\n", encoding="utf-8")


def to_json(value: Any, indent: str = "") -> str:
    """Indented JSON, with every object or list that holds no other container on one line."""
    flat = not any(isinstance(v, dict | list) for v in (value.values() if isinstance(value, dict) else value))
    if flat or not value:
        return json.dumps(value, ensure_ascii=False)
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {to_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    return "[\n" + ",\n".join(f"{inner}{to_json(v, inner)}" for v in value) + f"\n{indent}]"


def main() -> None:
    python = os.environ.get("ANNEX_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
    started = time.monotonic()
    # A fixed scratch folder: the external-link case types its path, which the manifest records.
    scratch = Path(tempfile.gettempdir()) / "annex-corpus"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        ws, period_end = make_workspace(python, scratch)
        files = generate(ws, period_end, scratch)
        publish(files, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{len(files)} files in {OUT.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
