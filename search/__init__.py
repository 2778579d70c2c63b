"""Sandhan's search engine: reading saved pages, Bangla analysis, indexing and querying.

Nothing in this package imports Flask; `web/` serves what this package finds.
"""
