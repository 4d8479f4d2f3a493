"""Stage 5: feedback to units, the summary workbook, the roll-up to the level above."""
