"""Realistic synthetic figures for the built-in Phúc Thọ specs (demo, tests and benchmark).

This is demo data for the default annexes, not a spec: it names their columns the way a test fixture
would. Every record it returns satisfies every error rule of the default specs.
"""

from __future__ import annotations

import datetime as dt
import random

OLD_COMMUNES = ["Thị trấn Phúc Thọ", "Xã Long Thượng", "Xã Tích Lộc", "Xã Trạch Mỹ Lộc", "Xã Phúc Hòa",
                "Xã Phụng Thượng"]
STAFF_SIZE = {"VPDU": 12, "BXDD": 8, "UBKT": 6, "TTCT": 5, "VPUB": 18, "PKT": 14, "PVHXH": 12, "TTPVHCC": 16,
              "MTTQ": 9, "DTN": 3, "HLHPN": 3, "HND": 3, "HCCB": 2}
# Dossiers received per lĩnh vực in a year at a commune of ~75,000 people (order of magnitude).
DOSSIERS = {"Hộ tịch": 2600, "Chứng thực": 4100, "Đất đai": 700, "Xây dựng – quy hoạch": 160,
            "Bảo trợ xã hội": 520, "Người có công": 140, "Lao động – việc làm": 90, "Hộ kinh doanh – kinh tế": 310,
            "Nông nghiệp – môi trường": 60, "Giáo dục": 40, "Y tế": 25, "Văn hóa – thể thao": 30,
            "Tôn giáo – tín ngưỡng": 5, "Thi đua – khen thưởng": 80, "Khác": 45}


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Split a whole number into parts proportional to noisy weights, summing exactly to total."""
    noisy = [w * rng.uniform(0.7, 1.3) for w in weights]
    s = sum(noisy) or 1.0
    parts = [int(total * w / s) for w in noisy]
    parts[0] += total - sum(parts)
    return parts


def pl1(rng: random.Random, code: str, over_quota: bool = False) -> dict:
    n = max(2, STAFF_SIZE.get(code, 6) + rng.randint(-1, 2))
    can_bo, cong_chuc, vien_chuc, hdld, nhdkct = _split(rng, n, [0.25, 0.45, 0.1, 0.1, 0.1])
    tang, giam = rng.randint(0, 3), rng.randint(0, 3)
    tren, dh, duoi = _split(rng, n, [0.15, 0.7, 0.15])
    quota = can_bo + cong_chuc + (rng.randint(0, 2) if not over_quota else -2)
    return {
        "so_phong_bo_phan": rng.randint(1, 4), "bien_che_cong_chuc_giao": max(0, quota),
        "so_nguoi_lam_viec_giao": vien_chuc + rng.randint(0, 1), "chi_tieu_hdld_giao": hdld + rng.randint(0, 1),
        "chi_tieu_nhdkct_giao": nhdkct + rng.randint(0, 1), "co_mat_01_07_2025": n - tang + giam,
        "so_can_bo": can_bo, "so_cong_chuc": cong_chuc, "so_vien_chuc": vien_chuc, "so_hdld": hdld,
        "so_nhdkct": nhdkct, "tong_hien_co": n, "so_nu": rng.randint(0, n), "td_tren_dai_hoc": tren,
        "td_dai_hoc": dh, "td_duoi_dai_hoc": duoi, "llct_cao_cap": rng.randint(0, n // 3),
        "so_vtvl_phe_duyet": n + rng.randint(-1, 2), "so_bo_tri_dung_vtvl": n - rng.randint(0, min(2, n)),
        "tang_trong_ky": tang, "giam_trong_ky": giam, "nghi_theo_chinh_sach": rng.randint(0, giam),
        "ghi_chu": "",  # over quota without the reason the warning asks for: the demo's unit with a warning
    }


def pl2(rng: random.Random, code: str, premises: list[str], period_end: dt.date) -> list[dict]:
    rows = []
    plans = ["Chuyển đổi công năng – y tế", "Chuyển đổi công năng – giáo dục",
             "Chuyển đổi công năng – văn hóa, thể thao, sinh hoạt cộng đồng", "Điều chuyển",
             "Bán, bán đấu giá", "Tiếp tục sử dụng (bố trí, sắp xếp lại)"]
    for name in premises:
        plan = rng.choice(plans)
        status = rng.choice(["Đã hoàn thành", "Đang thực hiện", "Đang thực hiện", "Chưa thực hiện"])
        deadline = dt.date(2026, rng.choice([3, 6, 9, 12]), 30)
        cost = round(rng.uniform(2500, 12000), 1)
        row = {"loai_tai_san": "Trụ sở làm việc", "ten_tai_san": f"Trụ sở UBND {name.lower()} (cũ)",
               "dia_chi": f"Số {rng.randint(1, 200)} đường {rng.choice(['Lạc Trị', 'Vân Phúc', 'Hát Môn'])}, {name}",
               "nguon_goc": name, "dien_tich_dat": round(rng.uniform(1200, 5200), 1),
               "dien_tich_san": round(rng.uniform(400, 1800), 1), "so_luong": 1, "nguyen_gia": cost,
               "gia_tri_con_lai": round(cost * rng.uniform(0.2, 0.8), 1), "hien_trang": "Bỏ trống, chưa sử dụng",
               "phuong_an_xu_ly": plan, "noi_dung_phuong_an": "Theo phương án được UBND Thành phố phê duyệt",
               "co_quan_chu_tri": "Phòng Kinh tế", "thoi_han_hoan_thanh": deadline, "tinh_trang": status}
        if status == "Đã hoàn thành":
            row["ngay_hoan_thanh"] = min(deadline, period_end) - dt.timedelta(days=rng.randint(5, 60))
        elif deadline < period_end:
            row["kho_khan_kien_nghi"] = "Chưa bố trí được kinh phí sửa chữa"
        rows.append(row)
    for _ in range(rng.randint(1, 3)):
        cost = round(rng.uniform(20, 900), 1)
        rows.append({"loai_tai_san": rng.choice(["Xe ô tô", "Máy móc, trang thiết bị"]),
                     "ten_tai_san": rng.choice(["Xe ô tô 7 chỗ", "Máy photocopy", "Bộ bàn ghế hội trường"]),
                     "nguon_goc": rng.choice(OLD_COMMUNES), "so_luong": rng.randint(1, 12), "nguyen_gia": cost,
                     "gia_tri_con_lai": round(cost * 0.3, 1), "hien_trang": "Đang sử dụng",
                     "phuong_an_xu_ly": "Tiếp tục sử dụng (bố trí, sắp xếp lại)", "tinh_trang": "Đang thực hiện"})
    return rows


def pl2b(rng: random.Random, unit_name: str) -> list[dict]:
    people = rng.randint(4, 12)
    return [{"don_vi": unit_name, "so_nguoi_lam_viec": people, "dien_tich_hien_co": round(people * 4.5, 1),
             "dien_tich_thieu": round(people * 4.0, 1), "noi_lam_viec_hien_tai": "Trụ sở Đảng ủy xã, tầng 2",
             "phuong_an_bo_tri": "Bố trí tại trụ sở UBND thị trấn Phúc Thọ (cũ) sau cải tạo",
             "thoi_han": dt.date(2026, 9, 30)}]


def pl3(rng: random.Random) -> list[dict]:
    rows = []
    for field, base in DOSSIERS.items():
        total = int(base * rng.uniform(0.8, 1.2))
        online = int(total * rng.uniform(0.3, 0.8))
        carried = int(total * rng.uniform(0.0, 0.04))
        direct = total - online - carried
        pending = int(total * rng.uniform(0.0, 0.05))
        returned = int(total * rng.uniform(0.0, 0.01))
        done = total - pending - returned
        late_done = int(done * rng.uniform(0.0, 0.02))
        early, on_time = _split(rng, done - late_done, [0.6, 0.4])
        late_pending = int(pending * rng.uniform(0, 0.2))
        fee = int(total * rng.uniform(0.2, 0.7))
        rated = int(done * rng.uniform(0.3, 0.7))
        rows.append({"linh_vuc": field, "so_tthc": rng.randint(6, 40), "so_tthc_toan_trinh": rng.randint(0, 2),
                     "so_tthc_mot_phan": rng.randint(1, 3), "hs_tong_nhan": total, "hs_moi_truc_tuyen": online,
                     "hs_moi_truc_tiep": direct, "hs_ky_truoc": carried,
                     "hs_phi_dia_gioi": int((online + direct) * rng.uniform(0, 0.2)),
                     "da_gq_truoc_han": early, "da_gq_dung_han": on_time, "da_gq_qua_han": late_done,
                     "dang_gq_trong_han": pending - late_pending, "dang_gq_qua_han": late_pending,
                     "hs_tra_lai_rut": returned, "hs_co_nghia_vu_tc": fee,
                     "hs_thanh_toan_tt": int(fee * rng.uniform(0.2, 0.9)),
                     "hs_so_hoa": int((online + direct) * rng.uniform(0.5, 1.0)),
                     "kq_dien_tu": int(done * rng.uniform(0.3, 0.9)), "luot_danh_gia": rated,
                     "luot_hai_long": int(rated * rng.uniform(0.9, 1.0))})
    return rows


def pl4a(rng: random.Random, collections: list[str]) -> list[dict]:
    rows = []
    for name in collections:
        total = round(rng.uniform(8, 60), 1)
        done = round(total * rng.uniform(0.3, 0.9), 1)
        files = int(total * rng.uniform(80, 140))
        pages_plan = int(total * 5000 * rng.uniform(0.3, 0.6))
        rows.append({"ten_phong": f"Phông {name}", "nam_bat_dau": rng.randint(1976, 2000), "nam_ket_thuc": 2025,
                     "tong_met_gia": total, "met_gia_da_chinh_ly": done,
                     "met_gia_chua_chinh_ly": round(total - done, 1),
                     "met_gia_chinh_ly_trong_ky": round(done * rng.uniform(0.1, 0.5), 1), "so_ho_so": files,
                     "so_ho_so_so_hoa": int(files * rng.uniform(0.1, 0.6)),
                     "so_trang_so_hoa": int(pages_plan * rng.uniform(0.2, 1.0)), "so_trang_ke_hoach": pages_plan,
                     "noi_bao_quan": rng.choice(["Kho không chuyên dụng", "Kho tạm", "Tại trụ sở cũ"]),
                     "dien_tich_kho": round(rng.uniform(10, 40), 1),
                     "tinh_trang_vat_ly": rng.choice(["Tốt", "Xuống cấp"])})
    return rows


def pl4b(rng: random.Random, staff: int) -> dict:
    computers = staff + rng.randint(0, 3)
    sent = rng.randint(150, 1400)
    return {"so_may_tinh": computers, "so_may_tinh_tren_5_nam": rng.randint(0, computers // 2),
            "so_may_scan": rng.randint(1, 3), "mang_tsl_chuyen_dung": "Có",
            "internet_bang_thong_rong": "Có", "diem_cau_truc_tuyen": rng.choice(["Có", "Không"]),
            "tong_cbccvc": staff, "so_co_chu_ky_so": rng.randint(staff // 2, staff),
            "so_hoan_thanh_ky_nang_so": rng.randint(staff // 2, staff), "so_van_ban_di": sent,
            "so_van_ban_di_ky_so": int(sent * rng.uniform(0.8, 1.0)),
            "so_ho_so_cong_viec_dien_tu": rng.randint(20, 300)}


def pl4c(rng: random.Random, databases: list[tuple[str, str, int]]) -> list[dict]:
    rows = []
    for name, unit, total in databases:
        digitised = int(total * rng.uniform(0.4, 1.0))
        rows.append({"ten_csdl": name, "don_vi_tinh": unit, "tong_so_can_so_hoa": total,
                     "so_da_so_hoa": digitised, "so_da_lam_sach": int(digitised * rng.uniform(0.6, 1.0)),
                     "ket_noi_chia_se": rng.choice(["Có", "Không"]),
                     "tinh_trang": "Hoàn thành" if digitised == total else "Đang thực hiện"})
    return rows


def unit_payload(rng: random.Random, code: str, name: str, annexes: tuple[str, ...], period_end: dt.date,
                 over_quota: bool = False) -> dict:
    """Every annex a unit files, filled with plausible figures."""
    data: dict = {}
    staff = None
    if "PL1" in annexes:
        data["PL1"] = pl1(rng, code, over_quota)
        staff = data["PL1"]["tong_hien_co"] - data["PL1"]["so_nhdkct"]
    if "PL2" in annexes:
        premises = {"PKT": OLD_COMMUNES[1:4], "VPUB": OLD_COMMUNES[4:], "VPDU": [OLD_COMMUNES[0]]}.get(code, [])
        data["PL2"] = pl2(rng, code, premises, period_end)
    if "PL2b" in annexes:
        data["PL2b"] = pl2b(rng, name)
    if "PL3" in annexes:
        data["PL3"] = pl3(rng)
    if "PL4a" in annexes:
        data["PL4a"] = pl4a(rng, [f"UBND {c.lower()} (cũ)" for c in OLD_COMMUNES[:3]] if code == "VPUB"
                            else [f"{name} (cũ)"])
    if "PL4b" in annexes:
        data["PL4b"] = pl4b(rng, staff if staff is not None else rng.randint(3, 12))
    if "PL4c" in annexes:
        dbs = {"PKT": [("CSDL đất đai", "thửa", 41200)], "VPUB": [("CSDL hộ tịch", "sổ", 1850)],
               "PVHXH": [("CSDL an sinh xã hội", "hồ sơ", 5200), ("CSDL giáo dục", "học sinh", 9800)],
               "TYT": [("CSDL y tế", "người", 75600)]}.get(code, [("Khác", "bản ghi", 1000)])
        data["PL4c"] = pl4c(rng, dbs)
    return data
