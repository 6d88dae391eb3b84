"""Alembic environment: run against the connection the app hands over, or a URL."""

from alembic import context
from sqlalchemy import create_engine

from app.db.models import Base
from app.db.types import UtcDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_, obj, _autogen_context):
    """Migrations spell the app's UTC timestamp as a plain SQLAlchemy type, so they never
    depend on application code that may change later."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    # Migrations copy rows: an error quotes the statement, never the values in it.
    engine = create_engine(config.get_main_option("sqlalchemy.url"), hide_parameters=True)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, render_as_batch=True,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
