"""Every table the service owns, on one MetaData: what Alembic compares the database with."""

from innovation.store.tables import metadata

__all__ = ["metadata"]
