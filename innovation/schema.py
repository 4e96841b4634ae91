"""Every table the service owns, on one MetaData: what Alembic compares the database with."""

import innovation.auth.tokens  # noqa: F401  (registers api_tokens)
from innovation.store.tables import metadata

__all__ = ["metadata"]
