"""Benchmarks of the event store, run side by side with a peer library and printed as ratios.

``python -m bench.store`` is the entry point (``make bench``); see ``bench/store.py``.
"""
