"""Stems for duplicate hints: the same on every thread, whatever else runs at the time, and the
compiled stemmer's the same as the pure-Python one's."""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import snowballstemmer
import Stemmer
from snowballstemmer.english_stemmer import EnglishStemmer

from innovation.projections import search

SEED = Path(__file__).resolve().parents[2] / "seed" / "pipeline.jsonl"

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


def test_words_are_stemmed_by_the_compiled_stemmer_as_the_pure_python_one_stems_them():
    """``snowballstemmer`` hands out PyStemmer's compiled stemmer when it is installed; the index
    holds stems made by either, so the two must agree (here on every word of the seed data)."""
    assert isinstance(snowballstemmer.stemmer("english"), Stemmer.Stemmer)
    words = sorted({word.lower() for word in re.findall(r"\w+", SEED.read_text(encoding="utf-8"))})
    assert len(words) > 1000
    compiled, pure = Stemmer.Stemmer("english"), EnglishStemmer()
    differ = [word for word in words if compiled.stemWord(word) != pure.stemWord(word)]
    assert differ == []
