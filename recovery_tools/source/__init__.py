"""An app's source read with real parsers: which files (`files`), JS/TS syntax trees (`js`), string values (`strings`).

Shared by the tools that look at an app's code (check-table-names --scan today, per-bug detectors next).
"""
