#!/usr/bin/env bash
# Render the README picture of the summary workbook from the demo output:
# annex demo -> LibreOffice (headless) -> PDF -> pdftoppm -> docs/summary-*.png
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
annex demo "$work/demo" > /dev/null
soffice -env:UserInstallation=file://"$work/profile" --headless --convert-to pdf --outdir "$work" \
  "$work"/demo/outbox/TongHop_*.xlsx > /dev/null
pdf=$(ls "$work"/TongHop_*.pdf)
pdftoppm -r 80 -png -f 1 -l 1 "$pdf" docs/summary-overview
page=""
for p in $(seq 2 60); do
  text=$(pdftotext -layout -f "$p" -l "$p" "$pdf" - 2>/dev/null || true)
  if [[ "$text" == *"PHỤ LỤC 3:"* ]]; then page=$p; break; fi
done
pdftoppm -r 80 -png -f "$page" -l "$page" "$pdf" docs/summary-pl3
mv docs/summary-overview-*.png docs/summary-overview.png
mv docs/summary-pl3-*.png docs/summary-pl3.png
rm -rf "$work"
echo "docs/summary-overview.png docs/summary-pl3.png"
