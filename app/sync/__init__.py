"""Sync with the central PostgreSQL store, over the network or by transfer file."""
