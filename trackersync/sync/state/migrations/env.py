"""Alembic environment: migrations run on the connection the store hands over."""

from alembic import context

from trackersync.sync.state.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=metadata, version_table="ts_alembic_version"
)
with context.begin_transaction():
    context.run_migrations()
