"""The state store: tasks, comments, milestones, cursors and runs, on SQLAlchemy."""

from trackersync.sync.state.store import StateStore

__all__ = ["StateStore"]
