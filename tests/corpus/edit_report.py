"""Edit a report draft (.docx) in headless LibreOffice as a person would, and save it as .docx.

    /usr/bin/python3 tests/corpus/edit_report.py SRC DST [--figure BOOKMARK=TEXT]... [--add TEXT]
                                                  [--delete BOOKMARK]... [--locale vi-VN]

--figure selects the bookmarked figure's text in the view (where the bookmark is anchored) and types the new
text over it; --add types a new paragraph at the end of the document; --delete removes a bookmark (Insert >
Bookmark > Delete), leaving its text; the document is then stored with the filter "MS Word 2007 XML", as
File > Save As > Word 2007–365 does. Prints, as JSON, the bookmarks and the custom properties LibreOffice held
after loading (what it would keep). Needs Debian's python3-uno (see office.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from office import Office, prop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--figure", action="append", default=[])
    parser.add_argument("--delete", action="append", default=[])
    parser.add_argument("--add", default="")
    parser.add_argument("--locale", default="vi-VN")
    args = parser.parse_args()
    office = Office(args.locale)
    office.start()
    try:
        doc = office.open(args.src)  # a stale lock file of a crashed instance removed first
        if doc is None:
            raise SystemExit(f"LibreOffice could not open {args.src}")
        user = doc.DocumentProperties.UserDefinedProperties
        seen = {"bookmarks": list(doc.Bookmarks.ElementNames),
                "properties": {p.Name: str(user.getPropertyValue(p.Name)) for p in user.PropertySetInfo.Properties}}
        for change in args.figure:
            name, text = change.split("=", 1)
            anchor = doc.Bookmarks.getByName(name).getAnchor()
            doc.getCurrentController().select(anchor)  # the figure selected, as by double-click/drag
            office.dispatch(doc, ".uno:InsertText", Text=text)  # typed over the selection
        for name in args.delete:
            doc.Bookmarks.getByName(name).dispose()
        if args.add:
            cursor = doc.getCurrentController().getViewCursor()
            cursor.gotoEnd(False)
            office.dispatch(doc, ".uno:InsertPara")
            office.dispatch(doc, ".uno:InsertText", Text=args.add)
        args.dst.parent.mkdir(parents=True, exist_ok=True)
        doc.storeToURL(args.dst.resolve().as_uri(), (prop("FilterName", "MS Word 2007 XML"),))
        doc.close(True)
        print(json.dumps(seen, ensure_ascii=False))
    finally:
        office.stop()


if __name__ == "__main__":
    main()
