"""The report in words: the outline (baocao.toml), its figures, and the Word drafts (commune and unit).

Figures are checked against an independent recomputation from the demo's inbox files, read with openpyxl through
the templates' own self-description (`_meta`, defined names), never through our aggregation."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from pipeline.collect import collect
from pipeline.demo.run import CORRECTED, MISSING, run_demo
from pipeline.messages import WorkspaceError
from pipeline.report.narrative.figures import build_draft, commune_scope, unit_figures
from pipeline.report.narrative.outline import OUTLINE_NAME, load_outline
from pipeline.template.fill import data_cells, read_meta
from pipeline.workbook.draft import FIGURE_ID, figure_bookmark
from pipeline.workspace import Workspace, open_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return run_demo(tmp_path_factory.mktemp("word") / "demo", workers=1).workspace


def accepted_files(ws: Workspace) -> dict[str, Path]:
    """unit -> the file that counts in the demo: the corrected one for the unit that sent errors first."""
    out = {}
    for path in sorted(ws.inbox.glob("*.xlsx")):
        code = path.name.split("_")[0]
        if path.name.startswith("~$") or (code == CORRECTED and "DaSua" not in path.name):
            continue
        out[code] = path
    return out


def records(path: Path) -> dict[str, list[dict]]:
    """annex -> its records (a form: one; a table: its non-blank rows), straight from the cells."""
    wb = openpyxl.load_workbook(path, data_only=True)
    meta = read_meta(wb)
    out = {}
    for annex, am in meta.annexes.items():
        sheet, grid = data_cells(wb, annex)
        keys = list(am.columns)
        if len(grid[0]) == 1:
            out[annex] = [{k: wb[sheet][row[0]].value for k, row in zip(keys, grid, strict=True)}]
        else:
            rows = [{k: wb[sheet][c].value for k, c in zip(keys, row, strict=True)} for row in grid]
            out[annex] = [r for r in rows if any(v not in (None, "") for v in r.values())]
    return out


def total(recs: dict[str, dict[str, list[dict]]], annex: str, *keys: str, where=lambda r: True) -> float:
    return float(sum(float(r.get(k) or 0) for unit in recs.values() for r in unit.get(annex, []) if where(r)
                     for k in keys))


def test_default_outline_follows_the_plan(demo: Workspace) -> None:
    outline = load_outline(demo.root, demo.specs)
    headings = [s.heading for s in outline.sections]
    order = ["I. KHÁI QUÁT", "2.1.", "3. Kết quả bàn giao", "5.2.", "6. Việc thực hiện hạ tầng số",
             "7. Việc thực hiện đẩy mạnh", "III. ĐÁNH GIÁ CHUNG", "IV. ĐỀ XUẤT, KIẾN NGHỊ"]
    found = [next(i for i, h in enumerate(headings) if h.startswith(o)) for o in order]
    assert found == sorted(found)
    assert [a.heading for a in outline.appendices] == [f"Phụ lục {n}" for n in range(1, 5)]
    assert (demo.root / OUTLINE_NAME).is_file()  # annex init gives every workspace its outline


def test_commune_figures_equal_the_inbox(demo: Workspace) -> None:
    result = collect(demo, workers=1, write_outputs=False)
    draft = build_draft(commune_scope(demo, result.counted, result.completeness), load_outline(demo.root, demo.specs))
    recs = {code: records(p) for code, p in accepted_files(demo).items()}
    assert not set(recs) & set(MISSING)
    figures = {k: f.number for k, f in draft.figures.items()}
    assert figures["pl1_sum_tong_hien_co"] == total(recs, "PL1", "tong_hien_co")
    assert figures["pl1_den_thua_thieu_cong_chuc"] == total(recs, "PL1", "bien_che_cong_chuc_giao")
    assert figures["pl3_sum_hs_tong_nhan"] == total(recs, "PL3", "hs_tong_nhan")
    solved = total(recs, "PL3", "da_gq_truoc_han", "da_gq_dung_han")
    assert figures["pl3_rate_ty_le_dung_han"] == pytest.approx(
        solved / total(recs, "PL3", "da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han"))
    assert figures["pl2_count"] == sum(len(u.get("PL2", [])) for u in recs.values())
    assert figures["pl2b_sum_dien_tich_thieu"] == total(recs, "PL2b", "dien_tich_thieu")
    party = {code for code, u in ((u.code, u) for u in demo.units) if u.khoi == "Đảng"}
    assert figures["pl1_sum_tong_hien_co_k1"] == total({c: r for c, r in recs.items() if c in party},
                                                      "PL1", "tong_hien_co")
    hotich = draft.figures["pl3_sum_hs_tong_nhan_g1"]
    assert hotich.number == total(recs, "PL3", "hs_tong_nhan", where=lambda r: r["linh_vuc"] == "Hộ tịch")
    assert all(FIGURE_ID.fullmatch(k) and figure_bookmark(k) for k in draft.figures)
    assert draft.figures["pl1_sum_tong_hien_co"].provisional and {u.code for u in draft.missing} == set(MISSING)


def test_unit_figures_come_from_its_own_file(demo: Workspace) -> None:
    result = collect(demo, workers=1, write_outputs=False)
    outline = load_outline(demo.root, demo.specs)
    mine = records(accepted_files(demo)["VPDU"])
    figures = unit_figures(demo, outline, "VPDU", result.counted["VPDU"])
    assert figures["pl1_sum_tong_hien_co"].number == float(mine["PL1"][0]["tong_hien_co"])
    assert figures["pl1_sum_tong_hien_co"].text == f"{int(mine['PL1'][0]['tong_hien_co'])}"
    assert not any(f.provisional for f in figures.values())
    assert not any(k.startswith("pl3_") for k in figures)  # VPDU files no PL3: its draft says nothing of it
    assert not any(re.search(r"_k\d+$", k) for k in figures)  # no breakdown by khối in a unit's draft


def test_outline_mistakes_are_named(demo: Workspace, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(demo.root, root, ignore=shutil.ignore_patterns("inbox", "outbox", "*.sqlite*"))
    ws = open_workspace(root)
    text = (root / OUTLINE_NAME).read_text(encoding="utf-8")
    (root / OUTLINE_NAME).write_text(text.replace("{PL1.sum:so_phong_bo_phan}", "{PL1.sum:so_phong}")
                                     .replace(" trên tổng số {PL4b.den:ty_le_ky_nang_so} người", "")
                                     .replace("thoi_han_hoan_thanh < period_end", "thoi_han < period_end"),
                                     encoding="utf-8")
    with pytest.raises(WorkspaceError) as err:
        load_outline(ws.root, ws.specs)
    said = str(err.value)
    assert said.count("baocao.toml: mục thứ") == 3
    assert "{PL1.sum:so_phong}" in said and "{PL4b.den:ty_le_ky_nang_so}" in said and '"thoi_han"' in said
