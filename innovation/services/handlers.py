"""Every command the service handles, by the aggregate whose module handles it.

Each handler runs inside a ``UnitOfWork`` (one transaction). Commands that span two aggregates
(merging, starting and concluding experiments) decide on both, and both appends commit
together or not at all. A new aggregate brings its own module of handlers, listed here.
"""

from __future__ import annotations

from innovation.services import experiments, ideas, releases
from innovation.services.unit_of_work import Handler

HANDLERS: dict[type, Handler] = {
    **ideas.HANDLERS,
    **experiments.HANDLERS,
    **releases.HANDLERS,
}
