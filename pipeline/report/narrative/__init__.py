"""The report in words (báo cáo lời): the outline (baocao.toml), its figures, and the Word draft."""
