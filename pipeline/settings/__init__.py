"""The settings an office edits without code, read and checked: round.toml (textfile, tomlcheck, roundfile),
units.xlsx (unitsfile), names Windows can hold (names), what was issued and which workspace a command works on
(state). Every mistake is a `messages.Problem` naming the file and the line or cell, and saying what to do."""
