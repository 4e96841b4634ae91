"""The browser fixture for every end-to-end test."""

from tests.e2e.browser import browser

__all__ = ["browser"]
