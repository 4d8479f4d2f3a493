#!/usr/bin/env bash
# Render the README pictures from the demo output, as they print on A4 with LibreOffice:
# annex demo -> PDF of the summary (made by collect) and of a feedback workbook -> pdftoppm -> docs/*.png
# (the report page, and the first annex page with a marked cell)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
annex demo "$work/demo" > /dev/null
pdf=$(ls "$work"/demo/outbox/TongHop_*.pdf)
page_with() {  # the first page of $1 whose text holds $2
  for p in $(seq 1 60); do
    text=$(pdftotext -layout -f "$p" -l "$p" "$1" - 2>/dev/null || true)
    if [[ "$(echo "$text" | tr -d ' ')" == *"$2"* ]]; then echo "$p"; return; fi
  done
}
render() {  # pdf page name
  pdftoppm -r 80 -png -f "$2" -l "$2" -singlefile "$1" "docs/$3"
}
render "$pdf" 1 summary-overview
render "$pdf" "$(page_with "$pdf" "TÌNHHÌNHNỘPBIỂUPHỤLỤCVÀBÁOCÁOLỜI")" summary-status
render "$pdf" "$(page_with "$pdf" "TỔNGHỢPTHEOLĨNHVỰC")" summary-pl3
feedback=$(ls "$work"/demo/outbox/feedback/*.xlsx | head -1)
soffice -env:UserInstallation=file://"$work/profile" --headless --convert-to pdf --outdir "$work" "$feedback" > /dev/null
fpdf="$work/$(basename "${feedback%.xlsx}").pdf"
render "$fpdf" 1 feedback-report
render "$fpdf" "$(page_with "$fpdf" "Đơnvịbáocáo:")" feedback-annex
rm -rf "$work"
echo "docs/summary-overview.png docs/summary-status.png docs/summary-pl3.png docs/feedback-report.png docs/feedback-annex.png"
