"""Benchmark `annex collect` against the floor and a competent analyst's baseline, in one run.

    python benchmarks/bench_collect.py --n 1000 --repeat 3
    python benchmarks/bench_collect.py --n 10000 --repeat 1 --only A

A: `annex collect` end to end on a fresh workspace (pre-checks, reading, validation, ledger, feedback, summary).
F: the floor: python-calamine reading every cell value of the same files in one plain loop.
B: the baseline: per file pandas.read_excel(engine="openpyxl", sheet_name=None), a pandera validation per
   sheet, pandas.concat, DataFrame.to_excel.
I: incremental: one file added to the inbox after A, collect again in a fresh process (the ledger caches what it
   read). The file is a unit's corrected workbook: bytes never seen before, so it is read, checked, compared with
   the one it replaces and answered.
W: watch mode: `annex collect --watch` running (after its first run), one such corrected workbook added to the
   inbox; from the file being in place to the new summary being in place (polling every --interval seconds, 0.2
   here).
T: `annex templates` for the N units, end to end as the clerk runs it; Td: the same for the 14 units of the demo.
R: `annex report` after A, every unit's Word draft to write (and the commune's; its collect reads nothing new).
Prints medians, ratios, and A's peak RSS (its own process and its largest reader process).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.demo import data as demo_data  # noqa: E402
from pipeline.template.batch import write_templates  # noqa: E402
from pipeline.template.fill import fill  # noqa: E402
from pipeline.workspace import init_workspace, open_workspace, write_units_xlsx  # noqa: E402

KHOI = ["Đảng", "Chính quyền", "MTTQ và đoàn thể", "Sự nghiệp"]
BASES = 24


def code(i: int) -> str:
    return f"DV{i:05d}"


def make_workspace(root: Path, n: int, seed: int) -> Path:
    """A workspace of n synthetic units filing PL1, PL2, PL3, PL4b, and n filled workbooks in its inbox."""
    ws_root = init_workspace(root)
    rows = [[code(i), f"Đơn vị {i:05d}", KHOI[i % len(KHOI)], "1, 2, 3, 4b", ""] for i in range(n)]
    write_units_xlsx(ws_root / "units.xlsx", rows)
    ws = open_workspace(ws_root)
    write_templates(ws, [code(i) for i in range(BASES)])
    rng = random.Random(seed)
    bases = []
    for b in range(BASES):  # distinct random fills, varied row counts, two of them invalid
        unit = ws.unit_by_code[code(b)]
        data = demo_data.unit_payload(rng, unit.code, unit.name, unit.annexes, ws.round.period_end)
        data["PL2"] = [dict(r) for r in (data["PL2"] * 12)[: rng.randint(1, 40)]]
        for k, row in enumerate(data["PL2"]):  # addresses unique per unit once cloned (no false duplicates)
            if row.get("dia_chi"):
                row["dia_chi"] = f"{row['dia_chi']}, lô {k} {unit.code}"
        if b == 3:  # one in 24 files is invalid
            data["PL1"]["tong_hien_co"] += 1
        path = root / f"base_{b}.xlsx"
        fill(ws.templates / f"{unit.code}.xlsx", path, data)
        bases.append(path)
    for i in range(n):
        clone(bases[i % BASES], code(i % BASES), code(i), ws.inbox / f"{code(i)}.xlsx")
    return ws_root


def clone(src: Path, old: str, new: str, dst: Path) -> None:
    """Copy a filled workbook for another unit: only the unit code in its strings changes (same length), as
    UTF-8 or as character references (openpyxl with lxml writes "Đơn vị" as "&#272;&#417;n v&#7883;")."""
    pairs = [(a.encode(encoding, "xmlcharrefreplace"), b.encode(encoding, "xmlcharrefreplace"))
             for a, b in ((old, new), (f"Đơn vị {old[2:]}", f"Đơn vị {new[2:]}")) for encoding in ("utf-8", "ascii")]
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith(".xml"):
                for a, b in pairs:
                    data = data.replace(a, b)
            zout.writestr(info, data)


def corrected(files: list[Path], k: int, dst: Path) -> Path:
    """Unit 0 sends a corrected workbook: the figures of file k + 1 under unit 0's identity (bytes that no file
    in the inbox has)."""
    clone(files[k + 1], code(k + 1), code(0), dst)
    return dst


def floor(files: list[Path]) -> None:
    from python_calamine import load_workbook

    for path in files:
        wb = load_workbook(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()


def baseline(files: list[Path], out: Path) -> None:
    import pandas as pd
    import pandera.pandas as pa

    frames: dict[str, list] = {}
    schema = pa.DataFrameSchema(coerce=False)
    for path in files:
        sheets = pd.read_excel(path, engine="openpyxl", sheet_name=None, header=None)
        for name, frame in sheets.items():
            if name.startswith("PL"):
                schema.validate(frame, lazy=True)
                frames.setdefault(name, []).append(frame)
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        for name, parts in frames.items():
            pd.concat(parts).to_excel(writer, sheet_name=name)


def run_collect(ws_root: Path, workers: int) -> tuple[float, dict]:
    """A fresh collect in its own process; returns wall seconds and its peak RSS figures."""
    for item in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
        (ws_root / item).unlink(missing_ok=True)
    shutil.rmtree(ws_root / "outbox", ignore_errors=True)
    return timed_collect(ws_root, workers)


def timed_collect(ws_root: Path, workers: int) -> tuple[float, dict]:
    script = ("import resource, sys, json; from pathlib import Path; from pipeline.collect import collect; "
              "from pipeline.workspace import open_workspace; "
              f"collect(open_workspace(Path({str(ws_root)!r})), workers={workers}); "
              "print(json.dumps({'self': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
              "'children': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    return elapsed, json.loads(out.stdout.strip().splitlines()[-1])


def annex(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", *args]


def timed_templates(ws_root: Path) -> float:
    started = time.perf_counter()
    subprocess.run(annex("templates", "--workspace", str(ws_root)), cwd=REPO, capture_output=True, check=True)
    return time.perf_counter() - started


def demo_templates(root: Path) -> float:
    ws_root = init_workspace(root / "demo")
    return timed_templates(ws_root)


def watched(ws_root: Path, source: Path, interval: float) -> float:
    """Seconds from `source` being put in place in the inbox to the new summary being in place, in watch mode."""
    summary = next((ws_root / "outbox").glob("TongHop_*.xlsx"))
    # Ctrl+C (SIGINT) ends it; a shell that starts this benchmark in the background ignores SIGINT, and the child
    # would inherit that: give it the default back
    proc = subprocess.Popen(annex("collect", "--watch", "--interval", str(interval), "--workspace", str(ws_root)),
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            encoding="utf-8", preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in proc.stdout:
            if line.startswith("Đang theo dõi"):
                break
        before = summary.stat().st_mtime_ns
        time.sleep(2 * interval)
        extra = ws_root / "inbox" / f"{code(99999)}_watch.xlsx"
        hidden = extra.with_name(f".{extra.name}")  # a hidden file: collect never looks at it
        shutil.copy(source, hidden)
        os.replace(hidden, extra)  # the file appears whole, at once
        started = time.perf_counter()
        while summary.stat().st_mtime_ns == before:
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        extra.unlink()
        return elapsed
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)


def median_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", default="TAFBIW", help="which measurements: any of T, A, F, B, I, W, R")
    parser.add_argument("--interval", type=float, default=0.2, help="watch mode's polling interval (W)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="annex-bench-"))
    try:
        started = time.perf_counter()
        ws_root = make_workspace(root / "ws", args.n, args.seed)
        files = sorted((ws_root / "inbox").glob("*.xlsx"))
        print(f"N = {args.n} workbooks ({sum(f.stat().st_size for f in files) / 1e6:.1f} MB), generated in "
              f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} cores; median of {args.repeat}")
        results: dict[str, float] = {}
        if "T" in args.only:
            results["Td"] = median_of(lambda: demo_templates(Path(tempfile.mkdtemp(dir=root))), args.repeat)
            results["T"] = statistics.median(timed_templates(ws_root) for _ in range(args.repeat))
        if "F" in args.only:
            results["F"] = median_of(lambda: floor(files), args.repeat)
        if "A" in args.only:
            runs = [run_collect(ws_root, args.workers) for _ in range(args.repeat)]
            results["A"] = statistics.median(t for t, _ in runs)
            rss = runs[-1][1]
            print(f"A peak RSS: collect process {rss['self'] / 1024:.0f} MB, largest reader process "
                  f"{rss['children'] / 1024:.0f} MB")
        if "I" in args.only and "A" in args.only:
            extra = corrected(files, 0, ws_root / "inbox" / f"{code(0)}_sua.xlsx")
            results["I"], _ = timed_collect(ws_root, args.workers)
            extra.unlink()
        if "R" in args.only and "A" in args.only:
            shutil.rmtree(ws_root / "outbox" / "baocao", ignore_errors=True)
            started = time.perf_counter()
            subprocess.run(annex("report", "--workspace", str(ws_root)), cwd=REPO, capture_output=True, check=True)
            results["R"] = time.perf_counter() - started
        if "W" in args.only and "A" in args.only:
            timed_collect(ws_root, args.workers)  # the inbox as it was, collected
            sources = [corrected(files, 1 + k, root / f"corrected_{k}.xlsx") for k in range(args.repeat)]
            results["W"] = statistics.median(watched(ws_root, source, args.interval) for source in sources)
        if "B" in args.only:
            results["B"] = median_of(lambda: baseline(files, root / "baseline.xlsx"), max(1, args.repeat // 2))
        for key, value in results.items():
            print(f"{key}: {value:8.2f} s" + (f"  ({args.n / value:7.0f} files/s)" if key in "AFB" else ""))
        if "A" in results and "F" in results:
            print(f"A / F = {results['A'] / results['F']:.2f}")
        if "A" in results and "B" in results:
            print(f"B / A = {results['B'] / results['A']:.1f}")
        if "A" in results and "I" in results:
            print(f"I / A = {results['I'] / results['A']:.1%}")
        if "A" in results and "W" in results:
            print(f"W / A = {results['W'] / results['A']:.1%}  (polling every {args.interval:g} s)")
        if "R" in results:
            print(f"R: {results['R'] / args.n * 1000:.0f} ms per unit's draft (the commune's and the collect included)")
        if "A" in results and "T" in results:
            print(f"T / A = {results['T'] / results['A']:.2f}")
        print(f"(this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
