"""Every sentence the command line says that is not an Issue of a file: settings mistakes (round.toml,
units.xlsx), the choice of workspace, outputs that cannot be written, interruptions.

Each code maps to a `str.format` template in Vietnamese, addressed to the clerk: what happened, and what to
do. The place (file and line, or cell) is put in front by `say`; callers pass fields, never their own wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR, WARNING = "error", "warning"

RESERVED_HINT = "CON, PRN, AUX, NUL, COM1–COM9, LPT1–LPT9"
CODE_RULE = "chỉ được gồm chữ không dấu, số, dấu - và _"

TEXTS: dict[str, str] = {
    # round.toml: the file itself
    "toml_unterminated": "giá trị thiếu dấu ngoặc kép \" ở cuối; hãy thêm dấu \" vào cuối giá trị, ví dụ: {example}.",
    "toml_curly": "giá trị được bao bằng dấu ngoặc kép cong “ ” hoặc ‘ ’ (do Word hoặc bộ gõ tự đổi); hãy gõ lại "
                  "bằng dấu ngoặc kép thẳng \" (phím Shift và phím '), ví dụ: {example}.",
    "toml_unquoted": "giá trị của {key} là chữ nên phải đặt trong ngoặc kép; hãy sửa thành: {example}.",
    "toml_trailing": "sau giá trị của {key} còn phần thừa ({rest}); nếu trong chữ có dấu ngoặc kép thì hãy đổi các "
                     "dấu ngoặc kép bên trong thành “ ”, còn nếu là ghi chú thì hãy đặt dấu # trước ghi chú.",
    "toml_date": "ngày của {key} phải viết dạng năm-tháng-ngày, đủ hai chữ số, không đặt trong ngoặc kép; hãy sửa "
                 "thành: {example}.",
    "toml_no_such_date": "ngày {value} không có thật; hãy sửa lại {key} thành một ngày có thật dạng "
                         "năm-tháng-ngày, ví dụ: {key} = 2026-05-15.",
    "toml_datetime": "{key} chỉ ghi ngày, không ghi giờ; hãy sửa thành: {example}.",
    "toml_duplicate": "{key} được ghi hai lần (lần đầu ở dòng {first}); hãy xóa một trong hai dòng.",
    "toml_table_twice": "dòng [{key}] xuất hiện hai lần; mỗi nhóm tiêu đề theo khối phải bắt đầu bằng dòng "
                        "[[headers]] (hai dấu ngoặc vuông mỗi bên).",
    "toml_no_equals": "dòng này không có dạng tên = giá trị; nếu là ghi chú, hãy thêm dấu # ở đầu dòng, nếu "
                      "không thì hãy xóa dòng này.",
    "toml_key_name": "tên \"{key}\" không hợp lệ (không được có dấu cách hay dấu tiếng Việt); hãy dùng đúng tên như "
                     "tệp mẫu, ví dụ round_id, title, deadline.",
    "toml_backslash": "dấu \\ trong chữ phải viết thành hai dấu \\\\ (ví dụ C:\\\\BaoCao), hoặc bao cả giá trị "
                      "bằng dấu nháy đơn '…'.",
    "toml_unclosed_list": "danh sách thiếu dấu ] ở cuối; hãy viết trọn danh sách trên một dòng, ví dụ: "
                          "khoi = [\"Đảng\"].",
    "toml_generic": "dòng này viết chưa đúng quy tắc của tệp (tên = giá trị; chữ trong ngoặc kép \"…\"; ngày dạng "
                    "2026-05-15; danh sách trong ngoặc vuông [\"…\"]); hãy so với các dòng mẫu và sửa lại.",
    "encoding_legacy": "tệp được lưu bằng bảng mã Windows cũ (ANSI) nên đã được đọc theo bảng mã tiếng Việt "
                       "Windows-1258; để chắc chắn đọc đúng, hãy mở tệp bằng Notepad, chọn File > Save As (Lưu thành), "
                       "ở ô Encoding (Mã hóa) chọn UTF-8, rồi lưu.",
    "encoding_unknown": "không đọc được chữ trong tệp (không phải UTF-8, UTF-16 hay bảng mã Windows); hãy mở tệp "
                        "bằng Notepad, chọn File > Save As (Lưu thành), ở ô Encoding (Mã hóa) chọn UTF-8, rồi lưu.",
    "saved_as_txt": "không thấy round.toml nhưng có tệp {name}: Notepad đã thêm đuôi .txt khi lưu. Hãy đổi tên tệp "
                    "thành round.toml (trong Notepad: File > Save As, ô Save as type chọn All Files (*.*), gõ tên "
                    "round.toml).",
    "txt_beside": "bên cạnh round.toml có tệp {name} mới hơn: có thể bản sửa đã bị Notepad lưu thành {name}. "
                  "Chương trình chỉ đọc round.toml; nếu đã sửa trong {name}, hãy đổi tên nó thành round.toml (ghi đè).",
    # baocao.toml: the outline of the Word report
    "outline_key": "{what} phải là {kind}, ví dụ: {example}.",
    "outline_section": "mục thứ {n} ({heading}): {problem}",
    "outline_block": "đoạn này không rõ là loại nào; một đoạn là một câu trong ngoặc kép \"…\" hoặc một nhóm { … } "
                     "có một trong các tên: commune / unit, sentences, each, rows (xem hướng dẫn ở đầu tệp).",
    "outline_placeholder": "chỗ trống {{{found}}} không hợp lệ: {why}.",
    "outline_rate_base": "câu dùng tỷ lệ {{{annex}.rate:{key}}} mà không nêu mẫu số {{{annex}.den:{key}}}; người đọc "
                         "cần biết tỷ lệ này là trên tổng số nào.",
    "outline_expr": "điều kiện {key} = \"{source}\" chưa đúng: {problem}.",
    "outline_column": "{key} = \"{value}\": phụ lục {annex} không có cột này (các cột: {known}); hãy sửa lại tên cột.",
    "outline_annex": "không có phụ lục {annex} trong schemas/ (các phụ lục: {known}); hãy sửa lại mã phụ lục.",
    "outline_each": "each = \"{value}\" không dùng được: chỉ nhóm được theo \"khoi\", theo cột dòng cố định của một "
                    "phụ lục hoặc theo cột \"by\" của một tỷ lệ (ví dụ each = \"PL3.linh_vuc\").",
    # the Word draft's own sentences (baocao.toml holds the rest)
    "draft_no_data": "Chưa có {annex} được tiếp nhận nên chưa có số liệu.",
    "draft_provisional": "(Số liệu tạm tính: chưa có {annex} được tiếp nhận của {names}.)",
    "draft_provisional_all": "Số liệu trong dự thảo là số liệu tạm tính: mới có {done}/{expected} cơ quan, đơn vị có "
                             "biểu được tiếp nhận; còn thiếu: {names}.",
    "draft_blank": "(chưa ghi)",
    "draft_offer": "Kính gửi {unit},\n\nBiểu số liệu của đơn vị đã được tiếp nhận. Kèm theo là dự thảo báo cáo lời "
                   "của đơn vị ({code}.docx), lập sẵn theo đề cương và điền sẵn số liệu từ chính biểu đơn vị đã gửi. "
                   "Đề nghị đơn vị viết các phần tô vàng, giữ nguyên các số liệu đã điền (nếu cần sửa số liệu thì "
                   "sửa cả biểu Excel và gửi lại biểu), rồi gửi lại báo cáo dạng .docx để tổng hợp.\n\nTrân trọng.\n",
    # the message and the report sheet a unit receives (report/feedback.py)
    "fb_head": "Kính gửi {unit},\n\n{commune} đã nhận tệp \"{file}\" (lúc {time}) cho đợt {round}.\n",
    "fb_also": " và {n} cảnh báo",
    "fb_unread": "Tệp có {errors} lỗi{also} nên CHƯA được tiếp nhận và chưa được đọc. Đề nghị đơn vị xử lý theo hướng "
                 "dẫn dưới đây và {resend}.\n",
    "fb_errors": "Tệp có {errors} lỗi{also} nên CHƯA được tiếp nhận. Đề nghị đơn vị sửa các lỗi dưới đây (đã tô đỏ "
                 "trong tệp phản hồi {code}.xlsx) và {resend}.\n",
    "fb_accepted": "Tệp đã được tiếp nhận; đề nghị kiểm tra lại các cảnh báo dưới đây (ô tô vàng trong tệp phản hồi "
                   "{code}.xlsx). Số liệu đã đúng thì không cần gửi lại; nếu sửa số liệu hoặc ghi thêm lý do vào cột "
                   "Ghi chú, đơn vị sửa ngay trong tệp phản hồi đó rồi gửi lại.\n",
    "fb_changed": "So với tệp gửi trước (\"{file}\"), đơn vị đã sửa {n} ô:",
    "fb_more_changes": "… và {n} ô khác (xem trang \"{sheet}\" trong tệp phản hồi).",
    "fb_report_about": "Về báo cáo lời (tệp \"{file}\", nhận lúc {time}):",
    "fb_closing": "Trân trọng.",
    "fb_report_head": "Kính gửi {unit},\n\n{commune} đã nhận báo cáo lời \"{file}\" (lúc {time}) cho đợt {round}. "
                      "Báo cáo {verdict}.\n\n",
    "fb_report_refused": "chưa được tiếp nhận",
    "fb_report_noted": "đã được ghi nhận; đề nghị kiểm tra lại các cảnh báo dưới đây",
    "fb_resend_before": "gửi lại trước hạn nộp {deadline}",
    "fb_resend_late": "gửi lại sớm nhất có thể (hạn nộp {deadline} đã qua)",
    "fb_sheet_title": "KẾT QUẢ KIỂM TRA BIỂU BÁO CÁO",
    "fb_sheet_unit": "Đơn vị: {unit} (mã {code}). Đợt báo cáo: {round}.",
    "fb_sheet_file": "Tệp đã nhận: \"{file}\", lúc {time}. Kiểm tra ngày {today}.",
    "fb_sheet_refused": "Kết quả: tệp CHƯA được tiếp nhận: {errors} lỗi phải sửa, {warnings} cảnh báo cần kiểm tra "
                        "lại. Đề nghị sửa các lỗi dưới đây rồi {resend}.",
    "fb_sheet_accepted": "Kết quả: tệp đã được tiếp nhận, có {warnings} cảnh báo cần kiểm tra lại (dưới đây). Số liệu "
                         "đã đúng thì không cần gửi lại; nếu sửa số liệu hoặc ghi thêm lý do vào cột Ghi chú, sửa ngay "
                         "trong tệp này rồi gửi lại.",
    "fb_sheet_heads": "STT|Mức độ|Trang|Ô|Nội dung",
    "fb_changes_title": "CÁC Ô ĐÃ THAY ĐỔI SO VỚI TỆP GỬI TRƯỚC (\"{file}\"): {n} Ô",
    "fb_changes_heads": "Trang|Ô|Chỉ tiêu|Giá trị cũ|Giá trị mới",
    # the summary's PDF (report/pdf.py)
    "pdf_no_office": "Chưa tạo bản PDF của bảng tổng hợp vì máy chưa cài LibreOffice (phần mềm miễn phí); cài "
                     "LibreOffice rồi chạy lại lệnh để có bản PDF đọc trên điện thoại.",
    "pdf_failed": "Không tạo được bản PDF của bảng tổng hợp bằng LibreOffice; bảng tổng hợp {name} vẫn dùng bình "
                  "thường.",
    "pdf_not_written": "Không ghi được tệp {name} (có thể đang được mở); hãy đóng tệp rồi chạy lại.",
    "pdf_stale": "Tệp {name} còn lại là bản PDF của lần tổng hợp trước, chưa có số liệu lần này: đừng gửi tệp đó cho "
                 "lãnh đạo; hãy đóng tệp rồi chạy lại lệnh.",
    "pdf_font": "Bản PDF của bảng tổng hợp có thể in thiếu dấu tiếng Việt ở dòng tiêu đề đầu trang: máy này in phông "
                "Times New Roman bằng phông {font}, phông này không đủ chữ tiếng Việt. Hãy cài phông Liberation (trên "
                "Debian, Ubuntu: sudo apt-get install fonts-liberation2) rồi chạy lại lệnh; bảng tổng hợp Excel không "
                "bị ảnh hưởng.",
    # what `annex init`, `annex templates` and `annex demo` say (cli.py)
    "init_done": "Đã tạo thư mục làm việc {folder}.",
    "init_edit": "Sửa round.toml (bằng Notepad) và units.xlsx (bằng Excel) cho đợt của mình, rồi chạy:",
    "init_templates": "  annex templates --workspace {folder}",
    "init_collect": "Khi đã chép tệp các đơn vị gửi về vào inbox, bấm đúp tệp {launcher} trong thư mục đó (hoặc chạy "
                    "annex collect --workspace {folder}) để kiểm tra và lập bảng tổng hợp.",
    "init_watch": "Muốn bảng tổng hợp tự lập lại mỗi khi có tệp mới: bấm đúp tệp {watcher} và để cửa sổ đó mở (bấm "
                  "Ctrl+C để dừng).",
    "init_report": "Khi cần dự thảo báo cáo lời (Word) của xã và của từng đơn vị có biểu đã được tiếp nhận: bấm đúp "
                   "tệp {reporter}.",
    "templates_done": "Đã tạo {n} biểu mẫu trong {folder}.",
    "templates_next": "Gửi cho mỗi đơn vị tệp biểu mẫu mang mã của đơn vị đó; khi nhận lại, chép các tệp vào "
                      "{inbox} rồi bấm đúp tệp {launcher} để kiểm tra và lập bảng tổng hợp.",
    "demo_folder": "Đã tạo thư mục làm việc mẫu: {folder}",
    "demo_templates": "Biểu mẫu của {n} đơn vị: {folder}",
    "demo_inbox": "Tệp các đơn vị gửi về: {folder}",
    "demo_report": "Dự thảo báo cáo lời (Word): {path}",
    "open_summary": "Mở bảng tổng hợp bằng Excel: {path}",
    # the console: a run's result (report/screen.py)
    "screen_counts": "{errors} lỗi, {warnings} cảnh báo",
    "screen_totals": "Tổng cộng {files} tệp bảng tính: {rejected} tệp bị trả lại ({errors} lỗi phải sửa); {warned} tệp "
                     "có cảnh báo ({warnings} cảnh báo cần kiểm tra lại).",
    "screen_replaced": "đã có tệp gửi sau được tiếp nhận ({file}), không cần sửa tệp này",
    "screen_replaced_count": "Ngoài ra {n} tệp bị trả lại trước đây đã được thay bằng tệp gửi sau.",
    "screen_ours": "Lỗi của chương trình (không phải lỗi của đơn vị; đơn vị không cần gửi lại):",
    "screen_machine": "Việc chưa làm được vì máy tính hoặc thư mục (không phải lỗi của đơn vị hay của chương trình):",
    "screen_complete": "Đã đủ tất cả phụ lục của tất cả đơn vị.",
    "screen_missing": "Đơn vị còn thiếu ({n}):",
    "screen_reports": "Báo cáo lời: đã nhận của {received}/{expected} đơn vị ({mismatch} có số liệu lệch biểu phụ lục, "
                      "{unchecked} chưa đối chiếu được số liệu).",
    "screen_units": "{n} đơn vị",
    "screen_summary": "Bảng tổng hợp: {path}",
    "screen_pdf": "Bản PDF để gửi lãnh đạo đọc trên điện thoại: {path}",
    "screen_feedback": "Phản hồi cho đơn vị ({n} đơn vị): {path}",
    "screen_drafts": "Dự thảo báo cáo lời cho đơn vị ({n} đơn vị): {path}",
    "report_commune": "Dự thảo báo cáo lời của xã: {path}",
    "report_provisional": "Số liệu trong dự thảo là số liệu TẠM TÍNH: còn {n} đơn vị chưa có đủ biểu được tiếp nhận "
                          "({names}).",
    "report_units": "Dự thảo báo cáo lời của {n} đơn vị có biểu đã được tiếp nhận ({units}): {path} — gửi mỗi đơn vị "
                    "tệp <mã đơn vị>.docx kèm lời nhắn <mã đơn vị>.txt.",
    "rollup_done": "Đã lập biểu gửi cấp trên từ {units}/{expected} đơn vị: {path}",
    "rollup_provisional": "Số liệu TẠM TÍNH: còn {n} đơn vị chưa có biểu được tiếp nhận nên chưa được cộng vào: "
                          "{names}. Khi các đơn vị này gửi đủ, hãy chạy lại annex rollup.",
    "rollup_rows": "{n} dòng",
    "drafts_new": "Dự thảo báo cáo lời vừa lập (mới hoặc theo biểu mới): {units}.",
    "drafts_removed": "Đã xóa dự thảo báo cáo lời không còn đúng (đơn vị không còn biểu được tính, hoặc có biểu mới "
                      "thay): {units}; nếu đã gửi cho đơn vị, hãy báo đơn vị dùng bản mới.",
    "drafts_pending": "Dự thảo báo cáo lời (Word) chưa lập cho {n} đơn vị có biểu mới được tiếp nhận hoặc vừa thay "
                      "({units}): bấm đúp tệp {launcher} (hoặc chạy lệnh annex report) trong thư mục làm việc để lập "
                      "dự thảo của xã và của các đơn vị này.",
    "draft_outline": "Chưa lập được dự thảo báo cáo lời: {problem}",
    # round.toml: the values
    "missing_key": "thiếu dòng {key} ({meaning}); hãy thêm dòng {example} vào trước dòng [[headers]] đầu tiên.",
    "not_text": "{key} phải là chữ đặt trong ngoặc kép, ví dụ: {example}.",
    "empty_text": "{key} đang để trống; hãy ghi {meaning}.",
    "not_date": "{key} phải là ngày dạng năm-tháng-ngày, không đặt trong ngoặc kép, ví dụ: {key} = 2026-05-15.",
    "round_id_chars": "round_id \"{value}\" " + CODE_RULE + " (round_id nằm trong tên tệp, ví dụ "
                      "TongHop_{example}.xlsx, nên không được có dấu cách, dấu tiếng Việt hay các ký tự "
                      "/ \\ : * ? \" < > |); hãy sửa, ví dụ: round_id = \"{example}\".",
    "round_id_reserved": "round_id \"{value}\" là tên thiết bị Windows dành riêng (" + RESERVED_HINT + "); hãy đặt "
                         "tên khác, ví dụ: round_id = \"{example}\".",
    "round_id_long": "round_id dài {length} ký tự; hãy rút gọn còn không quá {limit} ký tự.",
    "period_order": "ngày bắt đầu kỳ báo cáo period_start ({start}) phải trước ngày kết thúc period_end ({end}, dòng "
                    "{other}); hãy sửa lại một trong hai ngày.",
    "deadline_before": "hạn nộp deadline ({deadline}) đứng trước ngày bắt đầu kỳ báo cáo period_start ({start}); hạn "
                       "nộp phải nằm trong hoặc sau kỳ báo cáo, hãy sửa lại deadline.",
    "unknown_key": "không có mục \"{key}\" trong round.toml{hint}, nên dòng này sẽ không được dùng; hãy sửa lại tên "
                   "cho đúng hoặc xóa dòng.",
    "key_after_table": "dòng {key} = … nằm sau dòng [[headers]] nên bị hiểu là một phần của tiêu đề theo khối, không "
                       "phải của đợt báo cáo; hãy chuyển dòng này lên trên dòng [[headers]] đầu tiên.",
    "headers_not_tables": "mỗi nhóm tiêu đề theo khối phải bắt đầu bằng dòng [[headers]] (hai dấu ngoặc vuông mỗi "
                          "bên), không phải [headers]; hãy sửa lại dòng này.",
    "khoi_not_list": "khoi phải là danh sách trong ngoặc vuông, ví dụ: khoi = [\"{value}\"] (hoặc khoi = [] cho "
                     "tiêu đề dùng chung cho các khối còn lại).",
    "lines_not_list": "{key} phải là danh sách các dòng chữ trong ngoặc vuông, ví dụ: "
                      "{key} = [\"XÃ PHÚC THỌ\", \"{{UNIT}}\"].",
    "khoi_typo": "khối \"{value}\" không có trong cột Khối của units.xlsx; có phải \"{suggestion}\"? Hãy sửa cho giống "
                 "hệt cột Khối (các khối đang có: {known}).",
    "khoi_unused": "không đơn vị nào trong units.xlsx thuộc khối \"{value}\" (các khối đang có: {known}) nên tiêu đề "
                   "này không được dùng; nếu là gõ nhầm, hãy sửa cho giống hệt cột Khối.",
    "khoi_no_header": "các đơn vị khối \"{khoi}\" ({units}) không có tiêu đề góc biểu: không có nhóm [[headers]] nào "
                      "cho khối này và cũng không có nhóm dùng chung (khoi = []), nên biểu của các đơn vị này sẽ để "
                      "trống tiêu đề; hãy thêm một nhóm [[headers]] cho khối này.",
    "round_renamed": "round_id đang là \"{current}\" nhưng biểu mẫu đã gửi cho các đơn vị (tạo bằng lệnh annex "
                     "templates lúc {when}) mang round_id \"{issued}\", nên mọi tệp đơn vị gửi về sẽ bị coi là biểu "
                     "của đợt khác. Nếu lỡ sửa, hãy đặt lại round_id = \"{issued}\"; nếu thật sự mở đợt mới, hãy chạy "
                     "{command} rồi gửi biểu mẫu mới cho các đơn vị.",
    # units.xlsx
    "units_missing": "không thấy danh sách đơn vị units.xlsx trong thư mục làm việc; hãy chép tệp units.xlsx vào đây "
                     "(lệnh annex init tạo sẵn một tệp mẫu).",
    "units_other_format": "không thấy units.xlsx nhưng có tệp {name}; chương trình chỉ đọc units.xlsx. Hãy mở {name} "
                          "bằng Excel, chọn File > Save As (Lưu thành), kiểu Excel Workbook (*.xlsx), tên units.",
    "units_beside": "bên cạnh units.xlsx có tệp {name}{newer}; chương trình chỉ đọc units.xlsx, mọi sửa đổi trong "
                    "{name} không có tác dụng. Nếu đã sửa danh sách trong {name}, hãy lưu nó dạng Excel Workbook "
                    "(*.xlsx) với tên units.xlsx (ghi đè), rồi chuyển {name} ra khỏi thư mục làm việc.",
    "units_unreadable": "không mở được tệp như một bảng tính Excel ({detail}); hãy mở bằng Excel và lưu lại dạng "
                        "Excel Workbook (*.xlsx).",
    "units_no_sheet": "không thấy trang \"{wanted}\" (tệp có các trang: {sheets}); hãy đổi tên trang danh sách đơn vị "
                      "thành \"{wanted}\".",
    "units_header": "dòng 1 phải là tiêu đề các cột theo đúng thứ tự: {headers}; ô {at} đang là \"{value}\", hãy "
                    "sửa lại dòng tiêu đề.",
    "units_empty": "danh sách đơn vị đang trống; hãy nhập mỗi đơn vị một dòng, bắt đầu từ dòng 2.",
    "code_missing": "thiếu Mã đơn vị; hãy nhập mã (" + CODE_RULE.removeprefix("chỉ được gồm ") + "), ví dụ VPDU.",
    "code_chars": "Mã đơn vị \"{value}\" " + CODE_RULE + " (mã là tên tệp biểu mẫu của đơn vị, nên không được có dấu "
                  "cách, dấu tiếng Việt hay các ký tự / \\ : * ? \" < > |); hãy sửa, ví dụ \"{example}\".",
    "code_reserved": "Mã đơn vị \"{value}\" là tên thiết bị Windows dành riêng (" + RESERVED_HINT + ") nên Windows "
                     "không tạo được tệp {value}.xlsx; hãy đổi mã khác, ví dụ \"{example}\".",
    "code_long": "Mã đơn vị \"{value}\" dài {length} ký tự; hãy rút gọn còn không quá {limit} ký tự.",
    "code_duplicate": "Mã đơn vị \"{value}\" trùng với ô {other}; mỗi đơn vị phải có một mã riêng, hãy đổi một trong "
                      "hai mã.",
    "code_case": "Mã đơn vị \"{value}\" chỉ khác mã \"{other_value}\" (ô {other}) ở chữ hoa, chữ thường; trên Windows "
                 "hai tệp {value}.xlsx và {other_value}.xlsx là một, tệp sau sẽ ghi đè tệp trước. Hãy đặt hai mã khác "
                 "hẳn nhau.",
    "name_missing": "thiếu Tên đơn vị của mã {code}; hãy nhập tên đầy đủ của đơn vị.",
    "annex_unknown": "không có phụ lục \"{value}\" (các phụ lục có: {known}); hãy ghi các phụ lục cách nhau bằng dấu "
                     "phẩy, ví dụ 1, 2, 4a.",
    "annex_missing": "chưa ghi Phụ lục phải nộp của {code}; hãy ghi, ví dụ 1, 2, 4a.",
    "annex_number": "Excel đã đổi nội dung ô thành số {value} (máy dùng dấu phẩy thập phân kiểu Việt Nam); đã hiểu là "
                    "phụ lục {annexes}. Để Excel không đổi nữa, hãy ghi các phụ lục cách nhau bằng dấu chấm phẩy "
                    "(ví dụ 1; 2) hoặc định dạng cột Phụ lục phải nộp là Text (Văn bản).",
    "annex_number_bad": "Excel đã đổi nội dung ô thành {value} nên không còn biết là những phụ lục nào (các phụ lục "
                        "có: {known}); hãy định dạng cột Phụ lục phải nộp là Text (Văn bản) rồi gõ lại, ví dụ 1, 2, 4a "
                        "(hoặc dùng dấu chấm phẩy: 1; 2).",
    "khoi_missing": "chưa ghi Khối của đơn vị {code}; biểu mẫu của đơn vị này sẽ dùng tiêu đề dùng chung. Nếu đơn "
                    "vị thuộc một khối, hãy ghi vào ô này.",
    "khoi_near": "Khối \"{value}\" gần giống khối \"{suggestion}\" của các đơn vị khác; nếu là gõ nhầm, hãy sửa cho "
                 "giống hệt (tiêu đề góc biểu và các số cộng theo khối dựa vào cột này).",
    # the workspace a command works on
    "not_workspace": "thư mục này chưa phải thư mục làm việc của một đợt báo cáo (không có round.toml){found}. Hãy "
                     "chỉ rõ thư mục làm việc, ví dụ: {example} (tạo đợt mới bằng: annex init \"DotBaoCao2026\").",
    "idle_default": "chưa chỉ rõ thư mục làm việc (--workspace) và thư mục hiện tại chưa có đợt báo cáo nào đang làm "
                    "(chưa tạo biểu mẫu, inbox trống){found}. Hãy chạy lại kèm thư mục của đợt, ví dụ: {example}; "
                    "nếu đúng là đợt này thì hãy tạo biểu mẫu trước: annex templates --workspace \".\".",
    "program_folder": "đây là thư mục cài chương trình annex, không phải thư mục làm việc của một đợt báo cáo. Hãy "
                      "tạo đợt mới bằng annex init \"DotBaoCao2026\" rồi chạy: {example}.",
    "found_here": "; ở đây có các thư mục làm việc: {names}",
    "unknown_unit_codes": "không có mã đơn vị {codes} trong units.xlsx (các mã có: {known}); hãy kiểm tra lại --unit.",
    "init_exists": "thư mục này đã có round.toml hoặc units.xlsx của một đợt báo cáo nên không ghi đè; hãy chọn tên "
                   "thư mục khác, ví dụ: annex init \"DotBaoCao2026_2\".",
    "demo_not_demo": "thư mục này đã có dữ liệu và không phải thư mục do lệnh annex demo tạo; hãy chọn thư mục khác, "
                     "ví dụ: annex demo \"ThuNghiem\".",
    "rollup_unknown_unit": "không có mã \"{code}\" trong danh sách đơn vị của cấp trên {parent} (các mã có: {known}); "
                           "hãy kiểm tra lại --unit: đó là mã của xã mình trong units.xlsx của cấp trên.",
    "rollup_too_many_rows": "phụ lục {annex} có {rows} dòng, nhiều hơn {limit} dòng của biểu cấp trên; hãy đề nghị cấp "
                            "trên tăng max_rows của phụ lục này trong schemas rồi chạy lại.",
    "busy": "một lượt annex collect khác đang chạy trên thư mục làm việc này; hãy chờ lượt đó xong rồi chạy lại.",
    "template_refused": "không tạo được biểu mẫu cho đơn vị {code}: Excel không nhận một phần của đặc tả phụ lục "
                        "(thường là danh sách chọn hoặc lời nhắc quá dài). Chi tiết kỹ thuật đã ghi vào {log}; hãy rút "
                        "gọn phần đó trong thư mục schemas rồi chạy lại.",
    # the machine: outputs that cannot be written, interruptions
    "file_open": "tệp {name} đang được mở (có thể trong Excel) nên không ghi đè được; bản mới đã được lưu thành {new} "
                 "trong cùng thư mục. Hãy đóng tệp cũ và dùng bản mới.",
    "denied": "không ghi được vào đây: không có quyền ghi (thư mục chỉ đọc, hoặc tệp đang bị chương trình khác "
              "khóa). Hãy đóng tệp đang mở, hoặc chọn thư mục làm việc ở nơi được phép ghi (ví dụ trong Documents), "
              "rồi chạy lại; các tệp kết quả đã có vẫn nguyên vẹn.",
    "disk_full": "không ghi được vào đây vì ổ đĩa đã đầy; hãy giải phóng dung lượng (xóa bớt tệp, dọn Thùng rác) rồi "
                 "chạy lại; các tệp kết quả đã có vẫn nguyên vẹn.",
    "os_failed": "không ghi hoặc đọc được ({detail}); hãy kiểm tra ổ đĩa và thư mục (ổ USB, ổ mạng còn kết nối "
                 "không) rồi chạy lại.",
    "ledger_damaged": "Sổ ghi nhận ledger.sqlite trong thư mục {path} bị hỏng (có thể do mất điện hoặc rút ổ đĩa khi "
                      "đang ghi). Hãy đổi tên tệp đó (ví dụ thành ledger-hong.sqlite) rồi chạy lại: chương trình sẽ "
                      "đọc lại mọi tệp trong inbox.",
    "interrupted": "Đã dừng theo yêu cầu (Ctrl+C): các tệp kết quả đã ghi xong vẫn nguyên vẹn, không có tệp nào bị "
                   "ghi dở; chạy lại lệnh để làm tiếp.",
    # collect --watch
    "watch_started": "Đang theo dõi thư mục {inbox}: mỗi khi có tệp mới, tệp được thay hoặc tệp bị xóa, chương trình "
                     "tự kiểm tra lại và lập lại bảng tổng hợp. Cứ để cửa sổ này mở; bấm Ctrl+C khi muốn dừng.",
    "watch_change": "{time} — inbox có thay đổi ({what}); đã kiểm tra và tổng hợp lại.",
    "watch_added": "{n} tệp mới",
    "watch_changed": "{n} tệp được thay",
    "watch_removed": "{n} tệp bị xóa",
    "watch_gone": "Tệp không còn trong inbox (không còn được tính): {names}",
    "watch_busy": "{time} — một lượt annex collect khác đang chạy trên thư mục làm việc này; sẽ thử lại sau ít giây.",
    "watch_stopped": "Đã dừng theo dõi (Ctrl+C). Bảng tổng hợp và các phản hồi là của lần tổng hợp xong gần nhất, "
                     "không có tệp nào bị ghi dở.",
    "watch_options": "--watch không dùng cùng --json hay --strict: chế độ theo dõi chạy liên tục và in kết quả sau mỗi "
                     "lần tổng hợp; hãy bỏ bớt tùy chọn rồi chạy lại.",
    "program_failed": "Chương trình gặp lỗi ngoài dự kiến khi chạy lệnh {command}. Đây là lỗi của chương trình, không "
                      "phải lỗi của các tệp hay của thiết lập. Chi tiết kỹ thuật đã ghi vào {log}; hãy gửi tệp đó cho "
                      "người phụ trách kỹ thuật.",
}

# The printed status table ("Tình hình nộp"): one short mark per unit × annex and per narrative report, explained
# under the table by the full names (issues.STATE_VN, REPORT_STATE_VN).
STATE_SHORT_VN = {"missing": "Chưa nộp", "rejected": "Trả lại", "accepted": "Đã nhận",
                  "accepted_with_warnings": "Có cảnh báo", "accepted_late": "Nộp muộn", "failed": "Chưa xử lý"}
REPORT_SHORT_VN = {"missing": "Chưa nộp", "rejected": "Trả lại", "matched": "Khớp biểu", "mismatch": "Lệch biểu",
                   "unchecked": "Chưa đối chiếu", "failed": "Chưa xử lý"}


@dataclass(frozen=True)
class Problem:
    """One thing the clerk must know about: where (file, line or cell) and the whole sentence."""

    code: str
    text: str
    file: str = ""
    line: int = 0
    cell: str = ""
    severity: str = ERROR

    @property
    def place(self) -> str:
        return place(self.file, self.line, self.cell)


def quoted(path: object) -> str:
    """A path as it is typed in a command, in PowerShell, cmd or a POSIX shell: always in double quotes."""
    return f"\"{path}\""


def place(file: str = "", line: int = 0, cell: str = "", sheet: str = "") -> str:
    """'round.toml, dòng 4' / 'units.xlsx, trang "Đơn vị", ô A16' / 'units.xlsx' / ''."""
    parts = [file] if file else []
    if sheet:
        parts.append(f"trang \"{sheet}\"")
    if line:
        parts.append(f"dòng {line}")
    if cell:
        parts.append(f"ô {cell}")
    return ", ".join(parts)


def say(code: str, /, file: str = "", line: int = 0, cell: str = "", sheet: str = "", severity: str = ERROR,
        **fields: Any) -> Problem:
    """A Problem from the catalogue: its place in front, the sentence behind."""
    body = TEXTS[code].format(**fields)
    where = place(file, line, cell, sheet)
    text = f"{where}: {body}" if where else body[:1].upper() + body[1:]
    return Problem(code, text, file, line, cell, severity)


# What each step of a command says while it runs (report/screen.py)
STEPS = {
    "prepare": "Đang xem các tệp trong inbox",
    "read": "Đang đọc tệp",
    "validate": "Đang kiểm tra số liệu",
    "outputs": "Đang lập phản hồi cho đơn vị và bảng tổng hợp",
    "drafts": "Đang lập dự thảo báo cáo lời cho đơn vị",
    "templates": "Đang tạo biểu mẫu cho các đơn vị",
    "fill": "Đang điền số liệu mẫu như các đơn vị sẽ điền",
    "rollup": "Đang lập biểu gửi cấp trên",
}


def phrase(code: str, /, **fields: Any) -> str:
    """A catalogue text as it is, to be put into a longer one."""
    return TEXTS[code].format(**fields)


def sentence(code: str, /, **fields: Any) -> str:
    """A catalogue sentence on its own, capitalised."""
    body = TEXTS[code].format(**fields)
    return body[:1].upper() + body[1:]


class WorkspaceError(ValueError):
    """A workspace (or a command on it) that cannot be used as it is: one or more Problems, each naming its file
    and line or cell, in Vietnamese. The command stops with exit code 2."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("other", problems)]
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(p.text for p in self.problems))


class Refused(Exception):
    """A refusal the clerk can act on: `problem` is said, `detail` (technical, often English) goes to the log."""

    def __init__(self, problem: Problem, detail: str = "") -> None:
        super().__init__(problem.text)
        self.problem = problem
        self.detail = detail
