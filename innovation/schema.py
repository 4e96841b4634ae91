"""Every table the service owns, on one MetaData: what Alembic compares the database with."""

import innovation.auth.tokens
import innovation.projections.projector  # noqa: F401  (registers the read models)
from innovation.store.tables import metadata

__all__ = ["metadata"]
