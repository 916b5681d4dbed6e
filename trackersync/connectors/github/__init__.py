"""The built-in GitHub connector (PyGithub): `client` talks HTTP, `mapping` is pure."""

from __future__ import annotations
