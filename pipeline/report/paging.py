"""Where a printed summary sheet turns the page: a table (with its heading) that fits on one page is never cut
in two, so every printed table starts with its column headings, as an office lays out a report by hand.

Heights are the points the writer set for each row (XlsxWriter keeps them in pixels, 4/3 of a point), 15 for
the others, as LibreOffice prints them; a page holds the A4 height between the margins divided by the print scale."""

from __future__ import annotations

DEFAULT_ROW = 15.0  # points: a row the writer left at its default height
A4_SHORT, A4_LONG = 595.3, 841.9  # points
MARGINS = (0.7 + 0.6) * 72  # top and bottom, as print_setup sets them
MORE = 5.0  # points LibreOffice prints beyond the margins (measured: 45 rows of 15 points at 75 %, 67 upright)


def page_height(scale: int, portrait: bool) -> float:
    """Points of sheet (at 100 %) that one printed page holds."""
    return ((A4_LONG if portrait else A4_SHORT) - MARGINS + MORE) * 100 / scale


def keep_together(sheet, sections: list[tuple[int, int]], capacity: float) -> list[int]:
    """Set page breaks before each section (first and last row, in order) that would run over the page it starts
    on but fits on a page of its own; returns the rows that start a new page."""
    sizes = getattr(sheet, "row_sizes", {})

    def height(first: int, last: int) -> float:
        return sum(sizes[r][0] * 0.75 if r in sizes else DEFAULT_ROW for r in range(first, last + 1))

    breaks: list[int] = []
    used, row = 0.0, 0
    for first, last in sections:
        used = (used + height(row, first - 1)) % capacity  # rows between sections stay where they fall
        need = height(first, last)
        if used > 0 and used + need > capacity and need <= capacity:
            breaks.append(first)
            used = need
        else:
            used = (used + need) % capacity
        row = last + 1
    if breaks:
        sheet.set_h_pagebreaks(breaks)
    return breaks
