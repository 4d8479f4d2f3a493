"""The Word draft's contract: how a report draft (.docx) says what it is, and how each figure inserted into its
text stays bound to the annex figure it came from. The report writer and the inbox reader both use this module;
no other module spells these names.

A draft describes itself in custom document properties (docProps/custom.xml), which Word and LibreOffice both
keep through editing and saving. Every inserted figure is wrapped in a bookmark named after the outline's
figure id, so that a returned report can be compared figure by figure with the accepted annex.
"""

from __future__ import annotations

import re

# Custom document properties of a draft (name → meaning).
PROP_KIND = "AnnexKind"  # always DRAFT_KIND
PROP_ROUND = "AnnexRound"  # the round's id (round.toml)
PROP_UNIT = "AnnexUnit"  # the unit's code; COMMUNE_UNIT for the commune's consolidated draft
PROP_VERSION = "AnnexVersion"  # the program's draft format version (an integer as text)
DRAFT_KIND = "baocao-loi"
COMMUNE_UNIT = "*"
DRAFT_VERSION = "1"

# A bound figure's bookmark: F_<figure id>, then __<n> for its n-th repeat (n ≥ 2) in the same document.
# Word limits bookmark names to 40 characters, letters, digits and "_", starting with a letter.
BOOKMARK_PREFIX = "F_"
MAX_BOOKMARK = 40
FIGURE_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")  # no "__": it separates the repeat number
_BOOKMARK = re.compile(r"F_([a-z][a-z0-9]*(?:_[a-z0-9]+)*)(?:__(\d+))?")


def figure_bookmark(figure_id: str, occurrence: int = 1) -> str:
    """The bookmark name for the `occurrence`-th use of a figure in one document."""
    if not FIGURE_ID.fullmatch(figure_id):
        raise ValueError(f"figure id {figure_id!r}: lowercase words of letters and digits joined by single _")
    name = BOOKMARK_PREFIX + figure_id + (f"__{occurrence}" if occurrence > 1 else "")
    if len(name) > MAX_BOOKMARK:
        raise ValueError(f"figure id {figure_id!r} is too long for a Word bookmark ({len(name)} > {MAX_BOOKMARK})")
    return name


def figure_of_bookmark(name: str) -> str | None:
    """The figure id a bookmark is bound to, or None for a bookmark that is not one of ours."""
    match = _BOOKMARK.fullmatch(name)
    return match.group(1) if match else None
