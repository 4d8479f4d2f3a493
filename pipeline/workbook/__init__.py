"""The workbook contract shared by every stage, XML patching of .xlsx packages, and styles."""
