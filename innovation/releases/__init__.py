"""Semester releases: assembling each period once, the digest, and where executives find it."""
