#!/usr/bin/env bash
# Render the README picture of the Word draft: annex demo -> outbox/BaoCao_*.docx -> PDF (LibreOffice Writer)
# -> first page -> docs/report-first-page.png
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
annex demo "$work/demo" > /dev/null
draft=$(ls "$work"/demo/outbox/BaoCao_*.docx)
soffice -env:UserInstallation=file://"$work/profile" --headless --convert-to pdf --outdir "$work" "$draft" > /dev/null
pdftoppm -r 80 -png -f 1 -l 1 -singlefile "$work/$(basename "${draft%.docx}").pdf" docs/report-first-page
rm -rf "$work"
echo "docs/report-first-page.png"
