"""One Issue type for every problem the pipeline reports, and the one place its wording lives.

Messages are Vietnamese, addressed to the clerk or the unit, and say what to fix. Each code maps to a
severity and a `str.format` template; callers pass the fields, never their own wording.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from pipeline.vntext import fmt_value


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


E, W, INF = Severity.ERROR, Severity.WARNING, Severity.INFO

# code -> (severity, message template)
CATALOGUE: dict[str, tuple[Severity, str]] = {
    # files in the inbox
    "not_workbook": (E, "Tệp không phải bảng tính Excel/LibreOffice ({detail}); hãy gửi lại tệp .xlsx."),
    "empty_file": (E, "Tệp rỗng (0 byte); hãy lưu lại biểu mẫu và gửi lại."),
    "encrypted": (E, "Tệp được đặt mật khẩu mở tệp nên không đọc được; hãy bỏ mật khẩu rồi gửi lại."),
    "unreadable": (E, "Không đọc được tệp ({detail}); hãy mở bằng Excel, lưu lại dạng .xlsx rồi gửi lại."),
    "csv_file": (
        E,
        "Tệp được lưu dạng CSV nên chỉ còn chữ và số của một trang, mất các phụ lục khác và phần nhận diện biểu "
        "mẫu; hãy mở lại tệp biểu mẫu .xlsx đã điền, lưu giữ nguyên dạng Excel Workbook (.xlsx) rồi gửi lại.",
    ),
    "unsupported_format": (E, "Định dạng {detail} không được hỗ trợ; hãy lưu lại dạng .xlsx (Excel Workbook)."),
    "too_large": (E, "Tệp quá lớn ({detail}); biểu mẫu chỉ vài chục KB, hãy gửi đúng biểu mẫu đã điền."),
    "zip_bomb": (
        E,
        "Tệp bị từ chối vì giải nén ra dung lượng bất thường ({detail}); có thể là tệp độc hại hoặc hỏng. "
        "Hãy gửi lại đúng biểu mẫu đã điền.",
    ),
    "xml_entities": (
        E,
        "Tệp bị từ chối vì có nội dung Excel không bao giờ tạo ra (khai báo DTD/ENTITY trong {detail}, một kiểu "
        "tấn công); hãy mở biểu mẫu đã điền bằng Excel, lưu lại rồi gửi lại.",
    ),
    "sheet_too_big": (
        E,
        "Ô {cell} có dữ liệu nằm quá xa vùng của biểu mẫu (biểu mẫu chỉ dùng tới dòng 20.000, cột ZZ), có thể "
        "do gõ hoặc dán nhầm; hãy xóa nội dung ô này (và các ô xa khác, nếu có) rồi gửi lại.",
    ),
    "external_link": (
        E,
        "Tệp có liên kết tới tệp khác (External Links) nên số liệu có thể không cập nhật; hãy sao chép và "
        "dán giá trị (Paste Values), xóa liên kết (Data > Edit Links > Break Link) rồi gửi lại.",
    ),
    "data_connection": (
        E,
        "Tệp có kết nối dữ liệu bên ngoài (Data Connections/Query); hãy dán giá trị, xóa kết nối rồi gửi lại.",
    ),
    "unidentified": (
        E,
        "Không nhận ra đơn vị nộp: tệp không có trang ẩn _meta của biểu mẫu và tên đơn vị ở đầu biểu "
        "không khớp danh sách ({detail}); hãy dùng đúng biểu mẫu đã được gửi cho đơn vị.",
    ),
    "matched_by_name": (
        INF,
        "Tệp không còn thông tin ẩn của biểu mẫu; đã nhận ra đơn vị {unit} theo tên ở đầu biểu.",
    ),
    "unknown_unit": (E, "Mã đơn vị \"{detail}\" trong tệp không có trong danh sách đơn vị của đợt báo cáo; hãy dùng "
                        "đúng biểu mẫu đã được gửi cho đơn vị."),
    "other_round": (
        E,
        "Tệp là biểu mẫu của đợt báo cáo khác (\"{detail}\"); hãy dùng biểu mẫu của đợt này.",
    ),
    "name_mismatch": (
        W,
        "Tên tệp gợi ý đơn vị {detail} nhưng biểu mẫu bên trong là của đơn vị {unit}; đã ghi nhận theo "
        "biểu mẫu bên trong. Nếu nhầm, hãy gửi lại đúng tệp.",
    ),
    "unit_mismatch": (
        E,
        "Biểu mẫu này được lập cho {unit} nhưng ô {cell} ở đầu biểu ghi tên {detail}. Nếu tệp là của {detail}, hãy "
        "điền vào biểu mẫu đã gửi riêng cho đơn vị mình; nếu đúng là của {unit}, hãy sửa lại tên ở đầu biểu "
        "rồi gửi lại.",
    ),
    "macro": (INF, "Tệp có chứa macro; macro không bao giờ được chạy, chỉ đọc số liệu."),
    "old_version": (
        INF,
        "Phụ lục {annex} dùng mẫu phiên bản {detail} (mẫu hiện hành: {expected}); các cột vẫn khớp nên "
        "vẫn được đọc.",
    ),
    "incompatible_version": (
        E,
        "Phụ lục {annex} dùng mẫu phiên bản cũ {detail} có các cột khác mẫu hiện hành; hãy chuyển số "
        "liệu sang biểu mẫu mới.",
    ),
    "sheet_renamed": (INF, "Trang {sheet} là Phụ lục {annex} bị đổi tên (biểu mẫu: {expected}); đã đọc theo nội "
                           "dung. Lần sau, đề nghị không đổi tên trang."),
    "missing_sheet": (E, "Thiếu trang {sheet} (Phụ lục {annex}) mà đơn vị phải nộp; hãy điền và gửi lại."),
    "annex_empty": (
        E,
        "Phụ lục {annex} (trang {sheet}) chưa có số liệu nào nên chưa được tiếp nhận; hãy điền rồi gửi lại. Nếu "
        "đơn vị thật sự không có gì để báo cáo ở phụ lục này, gõ \"Không có\" vào ô {cell}.",
    ),
    "annex_declared_none": (INF, "Phụ lục {annex} (trang {sheet}): đơn vị ghi \"Không có\", được hiểu là không có "
                                 "số liệu nào để báo cáo."),
    "extra_annex": (INF, "Tệp có Phụ lục {annex} không thuộc danh sách phải nộp của đơn vị; không tính."),
    "row_key_changed": (
        E,
        "Ô {cell} phải là \"{expected}\" (dòng cố định của biểu) nhưng đang là \"{value}\"; hãy trả lại đúng như "
        "biểu mẫu (không sửa, xóa hay chèn các dòng cố định) rồi gửi lại.",
    ),
    "data_outside": (
        E,
        "Ô {cell} có dữ liệu \"{value}\" nằm ngoài các ô nhập liệu của biểu nên chưa được tính; hãy chuyển vào "
        "đúng dòng, cột của biểu (hoặc xóa nếu gõ nhầm) rồi gửi lại.",
    ),
    "row_below_read": (
        INF,
        "Dòng của ô {cell} nằm ngay dưới bảng ({detail} dòng có sẵn) và thẳng các cột của bảng nên đã được đọc như "
        "một dòng của bảng. Lần sau, nếu cần thêm dòng, hãy bấm dấu + ở lề trái ngay dưới bảng để hiện các dòng "
        "có sẵn.",
    ),
    "signature_text": (INF, "Ô {cell}: phần ký tên \"{value}\" đã được ghi nhận (không phải số liệu)."),
    "merged_hidden_blank": (
        W,
        "Vùng ô {detail} đã bị gộp thành một ô nên ô {cells} bị che và được đọc là trống; số liệu nhìn thấy trong "
        "vùng gộp chỉ được tính cho ô đầu vùng. Nếu các ô bị che cũng có số liệu, hãy bỏ gộp ô và nhập riêng cho "
        "từng ô rồi gửi lại.",
    ),
    "merged_hidden_value": (
        W,
        "Vùng ô {detail} đã bị gộp thành một ô; ô {cells} bị che nhưng vẫn còn giá trị ({value}) và đã được đọc như "
        "vậy. Hãy bỏ gộp ô để thấy lại các giá trị này và kiểm tra trước khi gửi.",
    ),
    "note_read": (INF, "Ô {cell}: ghi chú của chỉ tiêu \"{label}\" đã được ghi nhận: \"{value}\"."),
    "form_rows_moved": (
        INF,
        "Trang {sheet} có dòng được chèn hoặc xóa (chỉ tiêu \"{label}\" ở dòng {detail} thay vì dòng {expected}); "
        "số liệu đã được đọc theo tên từng chỉ tiêu. Lần sau, đề nghị không chèn, xóa dòng trong biểu.",
    ),
    "form_row_added": (
        W,
        "Trang {sheet}: dòng của ô {cell} được chèn thêm (\"{value}\": {detail}); chỉ tiêu này không có trong biểu "
        "mẫu nên không được tổng hợp. Nếu cần báo cáo thêm, hãy ghi vào cột Ghi chú của chỉ tiêu gần nhất và xóa "
        "dòng đã chèn.",
    ),
    "form_label_missing": (
        E,
        "Không tìm thấy chỉ tiêu \"{label}\" trên trang {sheet} (biểu mẫu đặt ở ô {cell}): tên chỉ tiêu đã bị sửa "
        "hoặc dòng đã bị xóa. Hãy dùng lại biểu mẫu gốc, không sửa cột \"Chỉ tiêu\", rồi gửi lại.",
    ),
    "header_changed": (
        E,
        "Tiêu đề cột ở ô {cell} đã bị sửa thành \"{value}\" (biểu mẫu: \"{expected}\"); số liệu có thể không "
        "còn đúng nội dung hoặc đơn vị tính của biểu. Hãy trả lại tiêu đề như biểu mẫu và nhập số liệu đúng đơn "
        "vị tính ghi trong tiêu đề, rồi gửi lại.",
    ),
    "column_inserted": (
        E,
        "Trang {sheet} có cột được chèn thêm: tiêu đề \"{label}\" đã dời sang cột {detail}. Hãy xóa cột đã chèn "
        "(không chèn, xóa cột trong biểu) rồi gửi lại.",
    ),
    "column_deleted": (
        E,
        "Trang {sheet} có cột bị xóa: tiêu đề \"{label}\" đã dời sang cột {detail}. Hãy dùng lại biểu mẫu gốc "
        "(không chèn, xóa cột trong biểu) rồi gửi lại.",
    ),
    "rows_sorted": (
        INF,
        "Các dòng cố định của trang {sheet} đã bị sắp xếp lại; số liệu đã được đọc theo tên từng dòng.",
    ),
    # cell values
    "formula_error": (
        E,
        "Ô {cell} ({label}) đang hiện lỗi công thức {value} nên không có số liệu; hãy sửa công thức hoặc gõ "
        "thẳng con số vào ô (chỉ nhập số, không dùng công thức tham chiếu tới ô hay tệp khác).",
    ),
    "required": (E, "Ô {cell} ({label}) bắt buộc nhưng đang bỏ trống; hãy nhập số liệu (ghi 0 nếu không có)."),
    "required_text": (E, "Ô {cell} ({label}) bắt buộc nhưng đang bỏ trống; hãy điền nội dung."),
    "not_number": (E, "Ô {cell} ({label}) phải là số nhưng đang là \"{value}\"; hãy nhập số."),
    "not_integer": (E, "Ô {cell} ({label}) phải là số nguyên nhưng đang là {value}; hãy nhập số nguyên."),
    "not_date": (
        E,
        "Ô {cell} ({label}) phải là ngày (ngày/tháng/năm, ví dụ 15/05/2026) nhưng đang là \"{value}\"; hãy nhập lại.",
    ),
    "below_min": (E, "Ô {cell} ({label}) là {value}, nhỏ hơn mức tối thiểu {bound}; hãy sửa lại."),
    "above_max": (E, "Ô {cell} ({label}) là {value}, lớn hơn mức tối đa {bound}; hãy sửa lại."),
    "not_in_list": (
        E,
        "Ô {cell} ({label}) có giá trị \"{value}\" không nằm trong danh sách; hãy chọn từ danh sách thả "
        "xuống: {expected}.",
    ),
    "number_text": (INF, "Ô {cell}: số viết dạng chữ \"{value}\" đã được đọc thành {expected}."),
    "number_with_unit": (INF, "Ô {cell}: \"{value}\" được đọc là {expected} (chữ \"{detail}\" là đơn vị tính của ô, "
                              "không cần gõ)."),
    "number_like_date": (
        W,
        "Ô {cell} ({label}) là {value}, đúng bằng con số Excel dùng để lưu ngày {expected}: có thể đã gõ ngày vào "
        "ô số. Hãy kiểm tra lại và nhập đúng số liệu.",
    ),
    "blank_zero": (INF, "Ô {cell}: \"{value}\" được hiểu là 0."),
    "date_text": (INF, "Ô {cell}: ngày viết dạng chữ \"{value}\" đã được đọc thành {expected} (ngày/tháng/năm)."),
    "text_normalized": (
        INF,
        "Ô {cell}: văn bản \"{value}\" đã được chuẩn hóa (Unicode dựng sẵn, bỏ khoảng trắng thừa).",
    ),
    "category_matched": (INF, "Ô {cell}: \"{value}\" được hiểu là \"{expected}\" trong danh sách."),
    "legacy_font": (
        INF,
        "Ô {cell}: văn bản gõ bằng phông cũ {detail} (\"{value}\") đã được chuyển sang Unicode "
        "(\"{expected}\"); lần sau hãy gõ bằng bảng mã Unicode.",
    ),
    "formula_text": (
        INF,
        "Ô {cell}: nội dung bắt đầu bằng \"=\" được giữ nguyên là văn bản, không bao giờ chạy như công thức.",
    ),
    # rules
    "rule": (E, "{message} Hiện tại: {detail} (các ô {cells})."),
    "rule_warning": (W, "{message} Hiện tại: {detail} (các ô {cells})."),
    "duplicate_across_units": (W, "{message} Ô {cell} (\"{value}\") trùng với {detail}."),
    "outlier": (W, "Ô {cell} ({label}) là {value}, khác xa các đơn vị cùng khối (trung vị {expected}); đề nghị "
                   "kiểm tra lại."),
    # submissions
    "superseded": (INF, "Tệp đã được thay bằng tệp nộp sau ({detail})."),
    "duplicate_file": (INF, "Tệp giống hệt tệp đã nhận trước đó ({detail}); không tính là lần nộp mới."),
    "late": (W, "Tệp nhận lúc {detail}, sau hạn nộp {expected}."),
    "newer_rejected": (
        W,
        "Tệp nộp sau ({detail}) bị trả lại vì có lỗi; tạm thời vẫn dùng tệp đã được tiếp nhận trước đó.",
    ),
    "ignored": (INF, "Tệp không phải bảng tính hay báo cáo lời ({detail}) nên không được đọc."),
    # the narrative report (báo cáo lời) a unit returns beside its annexes
    "report_by_name": (INF, "Tệp không còn thông tin nhận diện của dự thảo báo cáo lời; đã nhận ra đơn vị {unit} "
                            "theo {detail}."),
    "report_unidentified": (
        INF,
        "Tệp {detail} không phải dự thảo báo cáo lời của đợt này và không nhận ra của đơn vị nào (tên tệp và phần "
        "đầu văn bản không có tên hay mã đơn vị nào trong danh sách). Nếu đây là báo cáo lời của một đơn vị, hãy đặt "
        "tên tệp theo mã đơn vị (ví dụ PKT_baocao.docx) rồi chạy lại annex collect.",
    ),
    "report_other_round": (
        E,
        "Tệp là dự thảo báo cáo lời của đợt báo cáo khác (\"{detail}\"); hãy lập báo cáo từ dự thảo của đợt này.",
    ),
    "report_refused": (
        E,
        "Báo cáo lời không được đọc vì {detail}. Hãy mở tệp bằng Word, lưu lại dạng Word Document (.docx) rồi "
        "gửi lại.",
    ),
    "report_unchecked": (
        W,
        "Báo cáo lời gửi dạng {detail} nên đã được ghi nhận là đã nộp nhưng không đối chiếu được số liệu trong báo "
        "cáo với biểu phụ lục: chương trình chỉ đọc được số liệu trong tệp Word (.docx) lập từ dự thảo báo cáo. "
        "Để được đối chiếu, đề nghị gửi thêm bản .docx của báo cáo.",
    ),
    "report_no_annex": (
        INF,
        "Chưa đối chiếu được số liệu của báo cáo lời vì đơn vị chưa có biểu phụ lục được tiếp nhận; số liệu sẽ được "
        "đối chiếu khi biểu được tiếp nhận.",
    ),
    "report_unbound": (
        INF,
        "Báo cáo lời không còn số liệu nào gắn với biểu phụ lục (các dấu đánh dấu số liệu của dự thảo đã bị xóa khi "
        "soạn thảo) nên không đối chiếu được số liệu.",
    ),
    "report_no_figures": (INF, "Báo cáo lời chưa được đối chiếu số liệu vì tệp đề cương baocao.toml của đợt "
                               "đang có lỗi; văn phòng sửa tệp này rồi chạy lại để đối chiếu."),
    "report_checked": (INF, "Đã đối chiếu {detail} số liệu còn gắn với biểu phụ lục trong báo cáo lời."),
    "report_figure_changed": (
        W,
        "Đoạn {paragraph} của báo cáo lời (\"{start}\"): số liệu{what} ghi {value}, khác với biểu phụ lục đã "
        "tiếp nhận ({expected}). Nếu biểu đúng, hãy sửa lại số trong báo cáo; nếu báo cáo đúng, hãy sửa biểu phụ "
        "lục và gửi lại biểu, để báo cáo lời và biểu mẫu khớp nhau.",
    ),
    # our own failures: never the unit's fault
    "internal_error": (
        E,
        "Chương trình gặp lỗi khi xử lý tệp này ({detail}). Đây là lỗi của chương trình, không phải lỗi của "
        "tệp: đơn vị không cần gửi lại. Chi tiết kỹ thuật đã ghi vào {log}; hãy gửi tệp đó cho người phụ "
        "trách kỹ thuật, sau đó chạy lại annex collect.",
    ),
    "feedback_failed": (
        E,
        "Không lập được tệp phản hồi cho đơn vị {unit} ({detail}); tệp phản hồi cũ (nếu có) đã được gỡ để đơn "
        "vị không nhận nhầm bản cũ. Đây là lỗi của chương trình; chi tiết đã ghi vào {log}. Tạm thời hãy gửi "
        "cho đơn vị nội dung tệp {unit}.txt.",
    ),
    "draft_failed": (
        E,
        "Không lập được dự thảo báo cáo lời cho đơn vị {unit} ({detail}); dự thảo cũ (nếu có) đã được gỡ. Đây là "
        "lỗi của chương trình; chi tiết đã ghi vào {log}.",
    ),
    "summary_failed": (E, "Không lập được {what} ({detail}). Đây là lỗi của chương trình; chi tiết đã ghi vào {log}."),
    # the machine's state, not the unit's fault nor the program's: the clerk can fix it and run again
    "output_denied": (
        E,
        "Không ghi được {what} vào {path}: không có quyền ghi (thư mục chỉ đọc, hoặc tệp đang bị chương trình khác "
        "khóa). Hãy đóng tệp đang mở hoặc cấp quyền ghi cho thư mục, rồi chạy lại annex collect; bản cũ (nếu có) vẫn "
        "nguyên vẹn.",
    ),
    "output_disk_full": (
        E,
        "Không ghi được {what} vào {path} vì ổ đĩa đã đầy. Hãy giải phóng dung lượng (xóa bớt tệp, dọn Thùng rác) rồi "
        "chạy lại annex collect; bản cũ (nếu có) vẫn nguyên vẹn.",
    ),
    "output_os": (
        E,
        "Không ghi được {what} vào {path} ({detail}). Hãy kiểm tra ổ đĩa và thư mục (ổ USB, ổ mạng còn kết nối "
        "không) rồi chạy lại annex collect.",
    ),
    "input_held": (E, "Chưa đọc được tệp {name} lúc này ({detail}): tệp có thể đang được chép vào, vừa bị chuyển đi, "
                   "hoặc đang bị chương trình khác (Excel, phần mềm diệt virus, sao lưu) giữ. Đây không phải lỗi của "
                   "đơn vị; tệp sẽ được đọc lại ở lần chạy sau. Nếu lần sau vẫn vậy, hãy đóng chương trình đang mở "
                   "tệp rồi chạy lại annex collect."),
}

# Codes of a file refused before (or while) reading it: never opened again to be marked; the unit told in words.
NOT_READ = frozenset({"not_workbook", "empty_file", "encrypted", "unreadable", "unsupported_format", "too_large",
                      "zip_bomb", "xml_entities", "sheet_too_big", "external_link", "data_connection", "csv_file"})

# Codes that report a failure of this program, not of the file or the unit: no feedback goes to the unit.
PROGRAM_FAULTS = frozenset({"internal_error", "feedback_failed", "summary_failed", "draft_failed"})
# What the machine would not let us read or write: the clerk's to fix (exit code 2), never the unit's.
ENVIRONMENT = frozenset({"output_denied", "output_disk_full", "output_os", "input_held"})

# How each severity is named wherever a person reads it (the "Kiểm tra" sheet, feedback, summary, console).
SEVERITY_VN = {Severity.ERROR: "Lỗi", Severity.WARNING: "Cảnh báo", Severity.INFO: "Thông tin"}
# Feedback comments and the "Lỗi cần sửa" sheet say what the unit must do about each.
SEVERITY_ACTION_VN = {Severity.ERROR: "Lỗi (phải sửa)", Severity.WARNING: "Cảnh báo (kiểm tra lại)",
                      Severity.INFO: "Thông tin"}
# What each file status and each unit × annex state is called wherever a person reads it.
STATUS_VN = {"report": "Báo cáo lời, đã nhận",
             "accepted": "Tiếp nhận", "accepted_with_warnings": "Tiếp nhận, có cảnh báo", "rejected": "Trả lại",
             "superseded": "Đã thay thế", "duplicate": "Trùng lặp", "ignored": "Bỏ qua",
             "unidentified": "Không nhận ra đơn vị", "failed": "Lỗi chương trình (không phải lỗi của tệp)"}
STATE_VN = {"missing": "Chưa nộp", "rejected": "Bị trả lại (có lỗi)", "accepted": "Đã tiếp nhận",
            "accepted_with_warnings": "Đã tiếp nhận, có cảnh báo", "accepted_late": "Đã tiếp nhận, nộp muộn",
            "failed": "Đã gửi, chưa xử lý được (lỗi chương trình)"}
# What each unit's narrative report (báo cáo lời) is in the completeness table.
REPORT_STATE_VN = {"missing": "Chưa nộp", "rejected": "Bị trả lại (không đọc được)",
                   "matched": "Đã nhận, số liệu khớp biểu", "mismatch": "Đã nhận, có số liệu lệch biểu",
                   "unchecked": "Đã nhận, chưa đối chiếu được số liệu", "failed": STATE_VN["failed"]}
# Why a report was refused before it was read (the pre-checks' codes), in the words of `report_refused`.
REPORT_REFUSALS = {"too_large": "tệp quá lớn ({detail})", "encrypted": "tệp được đặt mật khẩu mở tệp",
                   "zip_bomb": "tệp giải nén ra dung lượng bất thường ({detail}), có thể là tệp độc hại hoặc hỏng",
                   "xml_entities": "tệp chứa khai báo thực thể XML (DTD/ENTITY), một kiểu tấn công mà Word không bao "
                                   "giờ tạo ra", "empty_file": "tệp rỗng (0 byte)",
                   "unreadable": "tệp hỏng, không đọc được ({detail})"}


@dataclass(frozen=True)
class Issue:
    """A problem found in one place: file, sheet and cell in A1 form (cell may be empty)."""

    code: str
    severity: Severity
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    value: str = ""
    rule: str = ""
    related: str = ""  # every cell a cross-field rule involves, comma-separated ("F15, F10, PL1!D23")

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


def issue(code: str, *, file: str = "", sheet: str = "", cell: str = "", value: Any = "",
          rule: str = "", severity: Severity | None = None, **fields: Any) -> Issue:
    """Build an Issue from the catalogue; `fields` fill the message template."""
    sev, template = CATALOGUE[code]
    shown = fmt_value(value)
    where = f"{sheet}!{cell}" if sheet and cell else cell  # messages name the sheet too: PL3!H12
    text = template.format(cell=where, value=shown, sheet=sheet, **fields)
    return Issue(code, severity or sev, text, file, sheet, cell, shown, rule, str(fields.get("cells", "")))


def count(issues: list[Issue], severity: Severity) -> int:
    return sum(1 for i in issues if i.severity == severity)
