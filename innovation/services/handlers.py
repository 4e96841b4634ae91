"""Every command the service handles, by the aggregate whose module handles it.

Each handler runs inside a ``UnitOfWork`` (one transaction). Commands that span two aggregates
(merging, starting and concluding experiments) decide on both, and both appends commit
together or not at all. A new aggregate brings its own module of handlers, listed here.
"""

from __future__ import annotations

from innovation.services.experiments import HANDLERS as EXPERIMENT_HANDLERS
from innovation.services.ideas import HANDLERS as IDEA_HANDLERS
from innovation.services.releases import HANDLERS as RELEASE_HANDLERS
from innovation.services.unit_of_work import Handler

HANDLERS: dict[type, Handler] = {**IDEA_HANDLERS, **EXPERIMENT_HANDLERS, **RELEASE_HANDLERS}
