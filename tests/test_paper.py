"""What leaders and units read: the demo's outputs printed by LibreOffice to A4 PDF and read back page by page
(`pdftotext -bbox`: a word box is about 1.3 × its type size), and the key sentences' figures recomputed from
the accepted files without the aggregation."""

from __future__ import annotations

import html
import re
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from pipeline.demo.run import DemoResult
from pipeline.models import CollectResult
from pipeline.report.paging import keep_together
from pipeline.report.sentences import pct
from pipeline.vntext import fmt_number
from pipeline.workbook.contract import META_SHEET, SHOWN_ROWS, TemplateMeta, data_name

from .conftest import needs
from .helpers import soffice_convert

Word = tuple[float, float, float, float, str]
MIN_BOX = 8 * 1.3 - 0.2  # 8 pt type, the smallest a reader is asked to read on paper
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


def pages_of(pdf: Path) -> list[list[Word]]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for chunk in out.split("<page ")[1:]:
        pages.append([(float(m[1]), float(m[2]), float(m[3]), float(m[4]), html.unescape(m[5])) for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', chunk)])
    return pages


def overprinted(words: list[Word]) -> list[tuple[str, str]]:
    """Pairs of words printed over each other: text of one row running into the next when a row is too short
    for its wrapped lines (pieces of one word touch side by side; they never overlap this much)."""
    found = []
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            dx = min(a[2], b[2]) - max(a[0], b[0])
            dy = min(a[3], b[3]) - max(a[1], b[1])
            if dx > 1.5 and dy > 0.4 * min(a[3] - a[1], b[3] - b[1]) and abs(a[1] - b[1]) > 1:
                found.append((a[4], b[4]))
    return found


def page_texts(words: list[Word]) -> str:
    return " ".join(w[4] for w in words)


@pytest.fixture
def demo(demo_run: DemoResult) -> tuple[Path, CollectResult]:
    """The folder of the demo's workspace and its collect result (the demo run shared with test_report_word)."""
    return demo_run.workspace.root.parent, demo_run.result


def legible_pages(pages: list, what: str) -> list[str]:
    """Every printed page legible: no text below MIN_BOX, no spec key, nothing overprinted, a page number; returns
    each page's text."""
    texts = []
    for n, words in enumerate(pages, start=1):
        text = page_texts(words)
        assert min(w[3] - w[1] for w in words) >= MIN_BOX, f"{what} p{n}"
        assert not SNAKE.findall(text), f"{what} p{n}: {SNAKE.findall(text)[:3]}"
        assert not overprinted(words), f"{what} p{n}: {overprinted(words)[:3]}"
        assert re.search(r"Trang \d+/\d+", text), f"{what} p{n}: page number"
        texts.append(text)
    return texts


@needs("soffice")
@needs("pdftotext")
def test_the_summary_prints_legibly_in_about_a_dozen_pages(demo):
    _, result = demo
    pdf = Path(result.outputs["summary_pdf"])  # made by collect itself, beside the workbook
    assert pdf.with_suffix(".xlsx").name == Path(result.outputs["summary"]).name
    pages = pages_of(pdf)
    # 27 pages before the print design, 22 with column groups and the report rows; now 13: "Tình hình nộp" one row
    # per unit (the narrative report a column), screen-only sheets left out, narrow sheets upright, Biểu 06 in two
    # blocks, tables never cut in two
    sheets = ("TỔNGQUAN", "TÌNHHÌNHNỘP", "PHỤLỤC1:", "PHỤLỤC2:", "PHỤLỤC2b:", "PHỤLỤC3:", "PHỤLỤC4a:", "PHỤLỤC4b:",
              "PHỤLỤC4c:", "CHẤTLƯỢNG")
    printed = Counter(next((s for s in sheets if page_texts(words).replace(" ", "").startswith(s)), "?")
                      for words in pages)
    assert set(printed) == set(sheets), printed  # every leader-facing sheet, nothing else (no screen-only sheet)
    assert printed["PHỤLỤC2:"] <= 2 and printed["PHỤLỤC3:"] <= 3, printed
    assert all(n == 1 for s, n in printed.items() if s not in ("PHỤLỤC2:", "PHỤLỤC3:")), printed
    assert len(pages) <= 13
    legible_pages(pages, "summary")
    # numbers as a Vietnamese reader writes them, in the tables as in the sentences, whatever this machine's locale
    text = " ".join(page_texts(words) for words in pages)
    assert re.search(r"\d,\d%", text) and re.search(r"\d\.\d{3}\b", text), text[:400]
    assert not re.search(r"\d\.\d%|\d,\d{3}\.\d", text), re.findall(r".{30}(?:\d\.\d%|\d,\d{3}\.\d).{10}", text)


def test_a_table_that_fits_on_a_page_is_never_cut_in_two():
    class Sheet:
        def __init__(self) -> None:
            self.row_sizes = {5: [40.0, False]}  # XlsxWriter keeps a set height in pixels: 30 points
            self.breaks: list[int] = []

        def set_h_pagebreaks(self, rows: list[int]) -> None:
            self.breaks = rows

    sheet = Sheet()  # rows of 15 points but row 5 (30): sections of 165, 150, 150 points
    assert keep_together(sheet, [(0, 9), (11, 20), (22, 31)], 400) == [22] == sheet.breaks  # 165+15+150 fit, 150 no
    assert keep_together(Sheet(), [(0, 9), (10, 49)], 400) == []  # taller than a page: it runs on where it is
    assert keep_together(Sheet(), [(0, 9), (10, 19)], 400) == []


@needs("soffice")
@needs("pdftotext")
def test_a_feedback_workbook_prints_its_report_with_a_heading(demo, tmp_path):
    folder, _ = demo
    feedback = sorted((folder / "demo" / "outbox" / "feedback").glob("*.xlsx"))
    assert feedback
    pdf = soffice_convert(feedback[0], tmp_path, "pdf", tmp_path / "profile")
    report = pages_of(pdf)[0]  # the report sheet goes first
    first = page_texts(report).replace(" ", "")
    assert "KẾTQUẢKIỂMTRABIỂUBÁOCÁO" in first and f"(mã{feedback[0].stem})" in first
    assert min(w[3] - w[1] for w in report) >= MIN_BOX and not overprinted(report)
    assert re.search(r"Trang \d+/\d+", page_texts(report))


def _accepted_values(result) -> dict[str, list[dict]]:
    """Every accepted record of every annex (annex id → records), read straight from the files through their
    `<ID>_data` names (each file opened once)."""
    records: dict[str, list[dict]] = {}
    for sub in result.counted.values():
        wb = openpyxl.load_workbook(sub.file.path, data_only=True)
        meta = TemplateMeta.parse({r[0].value: r[1].value for r in wb[META_SHEET].iter_rows() if r[0].value})
        for annex_id in sub.annexes:
            about = meta.annexes[annex_id]
            sheet_name, ref = wb.defined_names[data_name(annex_id)].attr_text.split("!")
            cells = wb[sheet_name.strip("'")][ref.replace("$", "")]
            found = records.setdefault(annex_id, [])
            if about.layout == "form":
                found.append({k: row[0].value for k, row in zip(about.columns, cells, strict=True)})
            else:
                found += [{k: c.value for k, c in zip(about.columns, row, strict=True)} for row in cells
                          if any(c.value not in (None, "") for c in row[1:])]
    return records


def test_key_sentence_figures_recomputed_from_the_accepted_files(demo):
    _, result = demo
    sentences = {k: " ".join(v["sentences"]) for k, v in result.totals.items()}
    accepted = _accepted_values(result)

    def total(annex: str, *keys: str) -> float:
        return sum(float(r.get(k) or 0) for r in accepted[annex] for k in keys)

    def share(num: float, den: float) -> str:
        return f"{fmt_number(num)} hồ sơ được tiếp nhận trực tuyến, chiếm {pct(num / den)}"

    pl3 = sentences["PL3"]
    new = total("PL3", "hs_moi_truc_tuyen", "hs_moi_truc_tiep")
    online = total("PL3", "hs_moi_truc_tuyen")
    assert f"nhận giải quyết {fmt_number(total('PL3', 'hs_tong_nhan'))} hồ sơ" in pl3
    assert f"{fmt_number(new)} hồ sơ mới tiếp nhận" in pl3, "the rate's base is stated"
    assert share(online, new) in pl3
    done = total("PL3", "da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han")
    on_time = total("PL3", "da_gq_truoc_han", "da_gq_dung_han")
    assert f"Đã giải quyết {fmt_number(done)} hồ sơ, trong đó {fmt_number(on_time)} hồ sơ" in pl3
    assert f"đạt {pct(on_time / done)} số hồ sơ đã giải quyết" in pl3
    pl2 = sentences["PL2"]
    assets = accepted["PL2"]
    assert f"báo cáo {fmt_number(len(assets))} tài sản, lô tài sản" in pl2
    assert f"cộng theo cột Số lượng là {fmt_number(sum(r['so_luong'] for r in assets))}" in pl2
    pl1 = sentences["PL1"]
    staff, women = total("PL1", "tong_hien_co"), total("PL1", "so_nu")
    assert f"nữ có {fmt_number(women)} người, chiếm {pct(women / staff)} trên tổng số {fmt_number(staff)}" in pl1
    provisional = {k for k, v in result.totals.items() if v["provisional"]}
    assert all(("tạm tính" in sentences[k]) == (k in provisional) for k in sentences)
    for item in result.completeness:  # one computation: the sentences' units are the status sheet's
        reporting = result.totals[item["annex"]]["reporting_units"]
        assert (item["unit"] in reporting) == item["state"].startswith("accepted"), item
    pl4c = sentences["PL4c"]
    for name in {r["ten_csdl"] for r in accepted["PL4c"]}:
        rows = [r for r in accepted["PL4c"] if r["ten_csdl"] == name]
        done, due = sum(r["so_da_so_hoa"] for r in rows), sum(r["tong_so_can_so_hoa"] for r in rows)
        assert f"{name} {pct(done / due)} ({fmt_number(done)}/{fmt_number(due)})" in pl4c


def test_demo_feedback_carries_no_note_that_is_only_a_peer_comparison(demo):
    folder, result = demo
    texts = list((folder / "demo" / "outbox" / "feedback").glob("*.txt"))
    only_peers = []
    for d in result.files:
        sent = [i for i in d.issues if i.severity.value in ("error", "warning")]
        if sent and all(i.code == "outlier" for i in sent):
            only_peers.append(d.file.rel)
    assert texts and not only_peers
    for path in texts:
        text = path.read_text(encoding="utf-8")
        lists = re.findall(r"\((?:phải sửa|kiểm tra lại)\): (\d+)\n((?:- .*\n?)+)", text)
        assert lists, f"{path.name}: no counted list of errors or warnings"
        for count, items in lists:
            assert int(count) == len(items.strip().splitlines()), path.name
        assert "trung vị" not in text or "lỗi" in text, path.name


@needs("soffice")
@needs("pdftotext")
def test_a_template_and_a_feedback_workbook_print_legibly_and_only_their_rows_in_use(demo, tmp_path):
    """VPUB's template printed 20 pages (200 numbered empty rows of PL2, PL4a and PL4c, the signature after them,
    PL2 at 4 pt); now a page of empty rows at most per table, wide tables in page-wide column groups."""
    folder, result = demo
    template = folder / "demo" / "templates_xlsx" / "VPUB.xlsx"
    feedback = folder / "demo" / "outbox" / "feedback" / "VPUB.xlsx"
    soffice_convert(template, tmp_path / "t", "pdf", tmp_path / "profile")
    soffice_convert(feedback, tmp_path / "f", "pdf", tmp_path / "profile")
    sent = next(d.submission for d in result.files if d.unit == "VPUB" and d.file.path.name != "VPUB.xlsx"
                and d.submission and d.errors + d.warnings)
    in_use = [len(sent.annexes[a].rows) for a in ("PL2", "PL4a", "PL4c") if a in sent.annexes]
    used = {tmp_path / "t" / "VPUB.pdf": [0], tmp_path / "f" / "VPUB.pdf": in_use}
    for pdf, most in ((tmp_path / "t" / "VPUB.pdf", 14), (tmp_path / "f" / "VPUB.pdf", 15)):
        pages = pages_of(pdf)
        assert len(pages) <= most, (pdf, len(pages))
        legible_pages(pages, pdf.parent.name)
        signed = [n for n, words in enumerate(pages) if "NGƯỜILẬPBIỂU" in page_texts(words).replace(" ", "")]
        assert len(signed) == 5, "one signature block per annex sheet"
        tables = [words for words in pages if re.search(r"PHỤLỤC(2|4a|4c)", page_texts(words).replace(" ", ""))]
        assert tables and max(n for words in tables for n in stt_numbers(words)) == max(SHOWN_ROWS, *used[pdf])


def stt_numbers(words: list[Word]) -> list[int]:
    """The row numbers printed in a table's STT column (under its "(1)")."""
    heads = [w for w in words if w[4] == "(1)"]
    return [int(w[4]) for w in words for h in heads[:1] if w[4].isdigit() and w[0] < h[2] and w[2] > h[0]
            and w[1] > h[3]]
