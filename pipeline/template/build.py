"""Stage 1: one ready-to-fill Excel template per unit, generated from the annex specs.

Each template describes itself in a hidden `_meta` sheet (key/value rows in A:B) and in workbook-level
defined names `<ID>_data`, so any reader can find the input cells without knowing the layout.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from pipeline.files import place
from pipeline.issues import SEVERITY_VN, Severity
from pipeline.messages import Refused, say
from pipeline.runlog import LOG_NAME
from pipeline.spec.annex import AnnexSpec
from pipeline.template import checks
from pipeline.template import sheet as sheet_writer
from pipeline.template.check_sheet import write_check_sheet
from pipeline.workbook.contract import (
    CHECK_SHEET,
    GENERATOR,
    GUIDE_SHEET,
    LISTS_SHEET,
    META_SHEET,
    AnnexMeta,
    Layout,
    TemplateMeta,
    cell,
    col_letter,
    data_name,
    list_name,
)
from pipeline.workbook.styles import SAFE_OPTIONS, Styles, print_setup, text_height
from pipeline.workbook.xlsxbook import Workbook
from pipeline.workspace import Unit, Workspace


class TemplateError(Refused):
    """XlsxWriter refused something (it would otherwise only warn and drop it)."""


@dataclass(frozen=True)
class TemplateResult:
    unit: str
    path: Path
    annexes: tuple[str, ...]


def template_meta(ws: Workspace, unit: Unit) -> TemplateMeta:
    """What a unit's template says of itself in `_meta`."""
    values = {"template_id": f"{ws.round.round_id}/{unit.code}", "generator": GENERATOR,
              "spec_version": ws.specs.version, "round_id": ws.round.round_id, "round_title": ws.round.title,
              "unit_code": unit.code, "unit_name": unit.name, "unit_khoi": unit.khoi,
              "annexes": ",".join(unit.annexes)}
    return TemplateMeta(values, {a: AnnexMeta.of(ws.specs.annexes[a]) for a in unit.annexes})


def write_template(ws: Workspace, unit: Unit, path: Path) -> TemplateResult:
    """Write one template whole, then move it into place (beside the old one when that is open in Excel: the
    result's path says where). Nothing half-written stays behind, even when interrupted."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        build_file(ws, unit, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return TemplateResult(unit.code, place(tmp, path), unit.annexes)


def build_file(ws: Workspace, unit: Unit, target: Path | BytesIO) -> None:
    """Build a unit's template into a file or a buffer; what XlsxWriter would only warn about is refused."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", module="xlsxwriter")  # it only warns when it drops a validation or a string
        try:
            _build(ws, unit, target)
        except (Warning, ValueError) as exc:
            problem = say("template_refused", code=unit.code, log=LOG_NAME)
            raise TemplateError(problem, f"biểu mẫu {unit.code}: {exc!r}") from exc


def _build(ws: Workspace, unit: Unit, path: Path | BytesIO) -> None:
    target = path if isinstance(path, BytesIO) else str(path)
    wb = Workbook(target, {**SAFE_OPTIONS, "in_memory": True})  # no temporary file per part
    wb.set_properties({"title": f"{ws.round.title} — {unit.name}", "author": ws.round.commune,
                       "comments": f"{GENERATOR}; {ws.round.round_id}/{unit.code}"})
    st = Styles(wb, 12)
    guide = wb.add_worksheet(GUIDE_SHEET)
    specs = [ws.specs.annexes[a] for a in unit.annexes]
    sheets = {s.id: wb.add_worksheet(s.sheet) for s in specs}
    check_sheet = wb.add_worksheet(CHECK_SHEET)
    lists = _write_lists(wb, specs)
    foreign = {(s.id, c.key): f"'{s.sheet}'!{cell(Layout(s).row_of(c.key), Layout(s).col_of(c.key), True)}"
               for s in specs if s.layout == "form" for c in s.columns}
    plans = {s.id: checks.plan_annex(s, lists, ws.round.constants, foreign) for s in specs}
    all_checks = [c for p in plans.values() for c in p.checks]
    for spec in specs:
        sheet_writer.write_annex(wb, sheets[spec.id], st, spec, ws, unit, lists, plans[spec.id], all_checks)
    write_check_sheet(check_sheet, st, all_checks, {s.id: s.sheet for s in specs})
    _write_guide(guide, st, ws, unit, specs)
    _write_meta(wb, ws, unit)
    guide.activate()
    wb.close()


def _write_lists(wb: Workbook, specs: list[AnnexSpec]) -> dict[tuple[str, str], str]:
    """Category lists on a hidden sheet (inline list validations are capped at 255 characters)."""
    sheet = wb.add_worksheet(LISTS_SHEET)
    names: dict[tuple[str, str], str] = {}
    col = 0
    for spec in specs:
        for c in spec.columns:
            if not c.categories:
                continue
            sheet.write_string(0, col, f"{spec.id}.{c.key}")
            for r, value in enumerate(c.categories, start=1):
                sheet.write_string(r, col, value)
            letter = col_letter(col + 1)
            ref = f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(c.categories) + 1}"
            name = list_name(spec.id, c.key)
            wb.define_name(name, ref)
            names[(spec.id, c.key)] = f"={name}"
            col += 1
    sheet.hide()
    sheet.protect()
    return names


def _write_meta(wb: Workbook, ws: Workspace, unit: Unit) -> None:
    sheet = wb.add_worksheet(META_SHEET)
    for r, (key, value) in enumerate(template_meta(ws, unit).rows()):
        sheet.write_string(r, 0, key)
        sheet.write_string(r, 1, value)
    for annex_id in unit.annexes:
        spec = ws.specs.annexes[annex_id]
        wb.define_name(data_name(annex_id), f"='{spec.sheet}'!{Layout(spec).data_range}")
    sheet.hide()
    sheet.protect()


def _write_guide(sheet, st: Styles, ws: Workspace, unit: Unit, specs: list[AnnexSpec]) -> None:
    rnd = ws.round
    sheet.set_column(0, 0, 4)
    sheet.set_column(1, 1, 110)
    lines: list[tuple[str, str]] = [
        ("title", f"HƯỚNG DẪN ĐIỀN BIỂU MẪU — {rnd.title.upper()}"),
        ("bold", f"Đơn vị: {unit.name} (mã {unit.code}) — {rnd.commune}"),
        ("text", f"Kỳ báo cáo: từ ngày {rnd.period_start:%d/%m/%Y} đến ngày {rnd.period_end:%d/%m/%Y}. "
                 f"Hạn gửi: chậm nhất ngày {rnd.deadline:%d/%m/%Y}."),
        ("text", f"Gửi tệp này (giữ nguyên định dạng .xlsx) về: {rnd.contact or rnd.commune}."),
        ("bold", "Cách điền"),
        ("text", "1. Chỉ nhập vào các ô nền trắng; các ô tiêu đề, nhãn và công thức đã được khóa."),
        ("text", "2. Cột có danh sách: bấm vào ô và chọn giá trị trong danh sách thả xuống, không gõ khác đi."),
        ("text", "3. Số: gõ số, không gõ chữ; được dùng dấu chấm ngăn cách hàng nghìn (1.234). Không có thì ghi 0."),
        ("text", "4. Ngày: gõ theo dạng ngày/tháng/năm, ví dụ 15/05/2026."),
        ("text", "5. Không đổi tên trang, không chèn hoặc xóa dòng, cột. Bảng nhiều dòng có sẵn đủ dòng nhưng chỉ "
                 "hiện trước một trang: cần thêm dòng thì bấm dấu + ở lề trái, ngay dưới bảng (Excel báo trang đang "
                 "được bảo vệ thì chọn dòng cuối bảng và dòng ngay dưới, bấm chuột phải, chọn Unhide – Bỏ ẩn)."),
        ("text", "6. Không xóa các trang ẩn (_meta, _lists): chúng giúp máy nhận ra biểu của đơn vị."),
        ("text", "7. Gõ tiếng Việt bằng bảng mã Unicode. Không đặt mật khẩu mở tệp."),
        ("text", "8. Nếu nhận được tệp phản hồi (trang đầu là \"Lỗi cần sửa\"), sửa đúng các ô được tô màu ngay trong "
                 "tệp đó rồi gửi lại chính tệp đó."),
        ("bold", "Các phụ lục trong tệp này"),
    ]
    for spec in specs:
        lines.append(("text", f"• Trang {spec.sheet}: {spec.heading} — {spec.title.capitalize()}"
                              f" ({'một bản ghi' if spec.layout == 'form' else 'nhiều dòng'}; "
                              f"đơn vị tính: {spec.unit})."))
        for rule in spec.rules:
            tag = SEVERITY_VN[Severity(rule.severity)]
            lines.append(("wrap", f"     – {tag}: {rule.message}"))
    for r, (style, text) in enumerate(lines):
        sheet.write_string(r, 1, text, st["wrap" if style == "text" else style])
        if style in ("text", "wrap"):
            sheet.set_row(r, text_height(text, 110))
    sheet.set_row(0, 36)
    print_setup(sheet, 1, last_row=len(lines))
    sheet.protect()
