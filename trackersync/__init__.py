"""trackersync: keeps Jira and GitHub issues in step."""

__version__ = "0.1.0"
