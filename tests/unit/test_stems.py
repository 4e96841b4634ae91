"""Stems for duplicate hints: the same on every thread, whatever else runs at the time."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import snowballstemmer

from innovation.projections import search

WORDS = [
    f"{root}{ending}"
    for root in ("network", "generat", "customis")
    for ending in ("", "s", "ing", "ed", "ation", "ations", "ively", "ness", "ers")
]


def test_stems_asked_for_on_many_threads_at_once_equal_those_of_a_lone_stemmer():
    lone = snowballstemmer.stemmer("english")
    expected = {word: lone.stemWord(word) for word in WORDS}
    texts = [" ".join(WORDS[i:] + WORDS[:i]) for i in range(len(WORDS))] * 20
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _ in range(5):
            search.stem.cache_clear()
            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(search.stems, texts))
            assert all(result == frozenset(expected.values()) for result in results)
    finally:
        sys.setswitchinterval(interval)
