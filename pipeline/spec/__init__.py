"""Stage 1: the annex specs, the rule language and its two back-ends (pandas and Excel formulas)."""
