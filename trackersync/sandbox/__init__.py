"""Loopback GitHub and Jira servers that speak the real REST shapes, for demos and tests."""
