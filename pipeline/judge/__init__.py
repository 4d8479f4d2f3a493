"""Stage 4: validation, comparisons, decisions and the ledger."""
