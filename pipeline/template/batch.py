"""Every unit's template: each distinct workbook built once, every unit's file stamped from it (stamp.py), in
worker processes when there is enough to share.

Units are grouped by khối and annexes (what their workbooks differ by besides identity). A group of one, or a
unit whose name or code cannot be stamped, is built by itself. Work goes to the workers in chunks of units of
one group; a worker builds a group's workbook the first time it stamps for that group and keeps it.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.intake.isolate import START_METHOD, Failed, run_isolated
from pipeline.template.build import TemplateError, TemplateResult, write_template
from pipeline.template.stamp import Prototype, prototype, stamp, stampable
from pipeline.workspace import Unit, Workspace

TEMPLATE_TIMEOUT = 900.0  # per chunk
TEMPLATE_MEMORY_MB = 1024
CHUNKS_PER_WORKER = 4  # a few chunks each, so that the workers finish together
SPAWN_MINIMUM = 200  # where workers start as fresh interpreters (Windows), they pay only for this many units

Key = tuple[str, tuple[str, ...]]


@dataclass
class _Stamper:
    """A process's workspace and the workbooks it has built so far (None: that group is built unit by unit)."""

    ws: Workspace
    prototypes: dict[Key, Prototype | None] = field(default_factory=dict)

    def write(self, key: Key | None, codes: list[str]) -> list[TemplateResult]:
        units = [self.ws.unit_by_code[c] for c in codes]
        if key is not None and key not in self.prototypes:
            self.prototypes[key] = prototype(self.ws, *key)
        proto = self.prototypes.get(key) if key is not None else None
        if proto is None:
            return [write_template(self.ws, u, self.ws.templates / f"{u.code}.xlsx") for u in units]
        return [stamp(proto, u, self.ws.templates / f"{u.code}.xlsx") for u in units]


def _start(ws: Workspace) -> _Stamper:
    return _Stamper(ws)


def _task(stamper: _Stamper, key: Key | None, codes: list[str]) -> object:
    """A chunk's results, or what stopped it, as data that crosses back to the parent."""
    try:
        return stamper.write(key, codes)
    except TemplateError as exc:
        return ("refused", exc.problem, exc.detail)
    except Exception as exc:  # noqa: BLE001 - raised again in the parent, as if the chunk had run there
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - an exception that does not travel: the parent reports it as ours
            raise exc from None
        return ("raised", exc)


def _chunks(units: list[Unit], workers: int) -> list[tuple[Key | None, list[str]]]:
    groups: dict[Key, list[str]] = {}
    alone: list[str] = []
    for u in units:
        (groups.setdefault((u.khoi, u.annexes), []) if stampable(u) else alone).append(u.code)
    size = max(1, -(-len(units) // (workers * CHUNKS_PER_WORKER)))
    chunks: list[tuple[Key | None, list[str]]] = [(None, [c]) for c in alone]
    for key, codes in groups.items():
        if len(codes) == 1:
            chunks.append((None, codes))
            continue
        chunks += [(key, codes[i:i + size]) for i in range(0, len(codes), size)]
    return sorted(chunks, key=lambda chunk: -len(chunk[1]))  # long chunks first: they finish together


def _unpack(out: object) -> list[TemplateResult]:
    if isinstance(out, list):
        return out
    if isinstance(out, tuple) and out[0] == "refused":
        raise TemplateError(out[1], out[2])
    if isinstance(out, tuple) and out[0] == "raised":
        raise out[1]
    raise RuntimeError(f"biểu mẫu: {out.reason} {out.detail}" if isinstance(out, Failed) else repr(out))


def write_templates(ws: Workspace, codes: list[str] | None = None,
                    progress: Callable[[str, int, int], None] | None = None,
                    workers: int | None = None) -> list[TemplateResult]:
    """Write `templates_xlsx/<code>.xlsx` for every unit (or the given codes), in the units' order."""
    ws.templates.mkdir(parents=True, exist_ok=True)
    units = [u for u in ws.units if not codes or u.code in codes]
    n_workers = workers or os.cpu_count() or 1
    chunks = _chunks(units, n_workers)
    parallel = len(chunks) > 1 and n_workers > 1 and (START_METHOD == "fork" or len(units) >= SPAWN_MINIMUM)
    done: dict[str, TemplateResult] = {}
    if progress:
        progress("templates", 0, len(units))
    try:
        if parallel:
            outcomes = (out for _, out in run_isolated(_task, chunks, workers=n_workers, timeout=TEMPLATE_TIMEOUT,
                                                       memory_mb=TEMPLATE_MEMORY_MB, setup=_start, setup_args=(ws,)))
        else:
            stamper = _Stamper(ws)
            outcomes = (stamper.write(key, chunk) for key, chunk in chunks)
        for out in outcomes:
            done.update((r.unit, r) for r in _unpack(out))
            if progress:
                progress("templates", len(done), len(units))
    except BaseException:
        for u in units:  # a worker stopped mid-file cannot remove its own
            (ws.templates / f".{u.code}.xlsx.tmp").unlink(missing_ok=True)
        raise
    return [done[u.code] for u in units]
