"""Read models: tables derived from the log, updated inline with each append, rebuilt from zero."""

from innovation.projections.projector import Projector

__all__ = ["Projector"]
