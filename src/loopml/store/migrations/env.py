"""Alembic environment: runs on the connection that loopml passes in (see ``upgrade``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from loopml.store.tables import metadata

config = context.config


def run() -> None:
    """Run migrations on the given connection, or on ``sqlalchemy.url`` for ad-hoc use."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
        with engine.begin() as conn:
            _configure_and_run(conn)
        return
    _configure_and_run(connection)


def _configure_and_run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=getattr(connection, "dialect").name == "sqlite",  # noqa: B009
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
