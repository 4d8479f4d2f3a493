"""Stage 2: one Excel template per unit, with its live checks; a filler that uses only the contract."""
