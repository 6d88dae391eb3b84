"""Database migrations (Alembic), shipped with the app and run at start-up."""
