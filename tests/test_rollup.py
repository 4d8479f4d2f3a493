"""Several communes roll up into a city round run by the same tool; city totals are commune sums."""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.collect import collect
from pipeline.workspace import init_workspace, open_workspace, write_units_xlsx

from .helpers import drop, payload

COMMUNES = {"XA1": ("PKT", "VPUB", "TTPVHCC", "VPDU"), "XA2": ("PKT", "TTPVHCC", "MTTQ"),
            "XA3": ("VPUB", "TTPVHCC", "PVHXH", "TYT")}


def _city(root):
    city = init_workspace(root)
    text = (city / "round.toml").read_text(encoding="utf-8")
    text = text.replace('round_id = "phuctho-soket-2026"', 'round_id = "hanoi-soket-2026"')
    text = text.replace('commune = "Xã Phúc Thọ"', 'commune = "Thành phố Hà Nội"')
    (city / "round.toml").write_text(text, encoding="utf-8")
    write_units_xlsx(city / "units.xlsx", [[c, f"UBND xã {c}", "Xã", "1, 2, 2b, 3, 4a, 4b, 4c", ""] for c in COMMUNES])
    return open_workspace(city)


def test_city_totals_equal_the_sum_of_the_communes(tmp_path, stock):
    city = _city(tmp_path / "city")
    commune_totals = []
    pl2_rows = 0
    for n, (code, units) in enumerate(COMMUNES.items()):
        ws = open_workspace(init_workspace(tmp_path / code))
        stock(ws, list(units))
        for m, unit in enumerate(units):
            drop(ws, f"{unit}.xlsx", unit, payload(ws, unit, n * 10 + m))
        local = collect(ws)
        commune_totals.append(local.totals)
        pl2_rows += sum(len(sub.annexes["PL2"].records) for sub in local.counted.values() if "PL2" in sub.annexes)
        out = CliRunner().invoke(main, ["rollup", "--workspace", str(ws.root), "--parent", str(city.root),
                                        "--unit", code])
        assert out.exit_code == 0, out.output
        produced = ws.outbox / "rollup" / f"hanoi-soket-2026_{code}.xlsx"
        shutil.copy(produced, city.inbox / produced.name)
    result = collect(city)
    statuses = {d.unit: d.status for d in result.files}
    assert set(statuses) == set(COMMUNES)
    assert all(s in ("accepted", "accepted_with_warnings") for s in statuses.values()), [
        (d.unit, [i.message for i in d.issues if i.severity.value == "error"]) for d in result.files]
    for annex in ("PL1", "PL2", "PL3", "PL4a", "PL4b", "PL4c"):
        for key, value in result.totals[annex]["columns"].items():
            expected = sum(t[annex]["columns"][key] for t in commune_totals if annex in t)
            assert value == pytest.approx(expected), (annex, key)
    cols = [t["PL3"]["columns"] for t in commune_totals]
    done = sum(c["da_gq_truoc_han"] + c["da_gq_dung_han"] for c in cols)
    assert result.totals["PL3"]["rates"]["ty_le_dung_han"] == pytest.approx(
        done / sum(c["da_gq_truoc_han"] + c["da_gq_dung_han"] + c["da_gq_qua_han"] for c in cols))
    rows = result.counted["XA1"].annexes["PL2"]
    assert rows.origins and all("—" in o for o in rows.origins.values())
    summary = openpyxl.load_workbook(result.outputs["summary"])
    cells = [v for r in summary["PL2"].iter_rows(values_only=True) for v in r if isinstance(v, str) and "←" in v]
    sources = [v.split("\n(", 1)[1][:-1] if "\n(" in v else v for v in cells]  # a list: "unit\n(source)"
    assert len(set(sources)) == pl2_rows  # every carried row, once (the overdue list repeats some)
    assert all("hanoi-soket-2026_XA" in s and "_BaoCao" not in s for s in sources)
    assert any("PKT — Phòng Kinh tế (PKT.xlsx, PL2!12)" in s for s in sources), "traceable to commune and unit"
