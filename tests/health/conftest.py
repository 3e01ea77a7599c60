"""The store fixtures of tests/store (SQLite, and PostgreSQL when configured), so the
health watch's lease is tested on both databases too."""

from tests.store.conftest import pg_run, store_url

__all__ = ["pg_run", "store_url"]
