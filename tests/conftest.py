from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.workspace import Workspace, init_workspace, open_workspace

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def ws_root(tmp_path: Path) -> Path:
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def ws(ws_root: Path) -> Workspace:
    return open_workspace(ws_root)


def needs(program: str):
    return pytest.mark.skipif(shutil.which(program) is None, reason=f"{program} is not installed")
