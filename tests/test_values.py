from __future__ import annotations

import datetime as dt

import pytest

from pipeline.collect import collect
from pipeline.intake.values import coerce, parse_number_text
from pipeline.spec.annex import Column
from pipeline.vntext import fmt_number, from_legacy, sort_key

from .helpers import changed, drop, payload

INT = Column("n", "Số", "int", blank_as_zero=True)
DEC = Column("d", "Diện tích", "decimal")
DATE = Column("t", "Ngày", "date")
CAT = Column("c", "Tình trạng", "category", categories=("Đang thực hiện", "Đã hoàn thành"))


@pytest.mark.parametrize(("text", "value"), [
    ("1.234", 1234), ("1.234.567", 1234567), ("12,5", 12.5), ("1.234,5", 1234.5), ("1 234", 1234),
    ("2.642", 2642), ("12.5", 12.5), ("-7", -7), ("0", 0),
])
def test_vietnamese_number_text(text, value):
    assert parse_number_text(text) == (value, False)


def test_ambiguous_and_bad_numbers():
    assert parse_number_text("1,234") == (None, True)
    assert coerce("1,234", INT)[1].code == "not_number"
    assert coerce("abc", DEC)[1].code == "not_number"
    assert coerce(2.5, INT)[1].code == "not_integer"
    assert coerce("-", INT) == (0.0, coerce("-", INT)[1]) and coerce("-", INT)[1].code == "blank_zero"
    assert coerce("-", DEC)[1].code == "not_number"  # only where the spec allows a dash for zero


def test_dates_are_day_first_and_reported():
    assert coerce("05/04/2026", DATE)[0] == dt.date(2026, 4, 5)
    assert coerce("05/04/2026", DATE)[1].code == "date_text"
    assert coerce(dt.datetime(2026, 4, 5, 0, 0), DATE) == (dt.date(2026, 4, 5), None)
    assert coerce("31/02/2026", DATE)[1].code == "not_date"
    assert coerce(46000.0, DATE)[0] == dt.date(2025, 12, 9)


def test_categories_match_after_folding_and_codes_stay_text():
    assert coerce("  đang   THỰC hiện ", CAT) == ("Đang thực hiện", coerce("  đang   THỰC hiện ", CAT)[1])
    assert coerce("đang thực hiện", CAT)[1].code == "category_matched"
    assert coerce("00123", Column("k", "Mã", "text")) == ("00123", None)


@pytest.mark.parametrize(("text", "encoding", "unicode"), [
    ("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "tcvn3", "Cộng hoà xã hội chủ nghĩa Việt Nam"),
    ("Trô së UBND x· TÝch Léc", "tcvn3", "Trụ sở UBND xã Tích Lộc"),
    ("Xuèng cÊp", "tcvn3", "Xuống cấp"),
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "vni", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("Ñang thöïc hieän", "vni", "Đang thực hiện"),
])
def test_legacy_vietnamese_is_detected_and_converted(text, encoding, unicode):
    assert from_legacy(text) == (encoding, unicode)


@pytest.mark.parametrize("text", ["Đang thực hiện", "Nguyễn Thị Hường", "Office 2010", "café crème", "München",
                                  "Chuyển đổi công năng – y tế", "Hư hỏng (mối mọt, ẩm mốc, rách)"])
def test_unicode_and_foreign_text_is_left_alone(text):
    assert from_legacy(text) is None


def test_vietnamese_sorting_and_number_format():
    assert sorted(["Đoàn", "Dung", "Zeta", "Ân", "An"], key=sort_key) == ["An", "Ân", "Dung", "Đoàn", "Zeta"]
    assert fmt_number(1234567) == "1.234.567" and fmt_number(48.6) == "48,6"
    assert fmt_number(10.0000000000001) == "10,0000000000001" and fmt_number(-0.00001) == "-0,00001"
    assert fmt_number(12345.00000001) == "12.345,00000001" and fmt_number(2.00004) == "2,00004"


def test_a_duration_is_shown_as_excel_shows_it_not_in_pythons_english():
    """A number cell formatted [h]:mm reads as a duration: the message shows 240:00, as Excel does, never
    "10 days, 0:00:00"."""
    from pipeline.issues import issue
    from pipeline.vntext import fmt_value

    assert fmt_value(dt.timedelta(days=10)) == "240:00" and fmt_value(dt.timedelta(hours=1, seconds=5)) == "1:00:05"
    assert fmt_value(-dt.timedelta(minutes=90)) == "-1:30"
    value, note = coerce(dt.timedelta(days=10), INT)
    assert value is None and note.code == "not_number"
    message = issue(note.code, sheet="PL1", cell="D12", value=dt.timedelta(days=10), **note.fields).message
    assert "240:00" in message and "days" not in message


def test_an_integer_is_what_excel_shows_to_fifteen_digits():
    """A sum pasted as a value can be 10.000000000000002: Excel shows 10 and its INT(x)=x check passes it, so it is
    10; one that differs within fifteen digits is not an integer, and the message shows every digit."""
    assert coerce(3 * 3.3333333333333335, INT) == (10.0, None)
    assert coerce(0.1 * 3 * 10, INT) == (3.0, None)
    value, note = coerce(10.0000000000001, INT)
    assert value is None and note.code == "not_integer"


def test_legacy_text_in_a_submission_is_converted_and_reported(ws, stock):
    stock(ws, ["VPUB"])
    data = changed(payload(ws, "VPUB"), "PL2", {"tinh_trang": "Ñang thöïc hieän", "ngay_hoan_thanh": None,
                                                "ten_tai_san": "Trô së UBND x· TÝch Léc (cò)"})
    drop(ws, "VPUB.xlsx", "VPUB", data)
    d = collect(ws).files[0]
    assert d.status in ("accepted", "accepted_with_warnings"), [i.message for i in d.issues]
    record = d.submission.annexes["PL2"].records[0]
    assert record["tinh_trang"] == "Đang thực hiện"
    assert record["ten_tai_san"] == "Trụ sở UBND xã Tích Lộc (cũ)"
    notes = [i for i in d.issues if i.code == "legacy_font"]
    assert {i.cell for i in notes} == {"P12", "C12"} and all("Unicode" in i.message for i in notes)
