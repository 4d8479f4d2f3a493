"""Stage 3: the inbox, pre-checks, isolated reading and typed submissions."""
