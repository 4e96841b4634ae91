"""innovation: an event-sourced tracker for a continuous innovation pipeline."""
