"""Renderings of the status document: terminal table, Markdown, self-contained HTML."""
