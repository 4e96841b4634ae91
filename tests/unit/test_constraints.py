"""Every package pyproject.toml asks for is pinned once in .ci/constraints.txt, within its range."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"


def pins() -> list[Requirement]:
    lines = CONSTRAINTS.read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def pinned_versions() -> dict[str, Version]:
    """The exact version of each package pinned with `==` alone."""
    found = {}
    for pin in pins():
        specifiers = list(pin.specifier)
        if [specifier.operator for specifier in specifiers] == ["=="]:
            found[canonicalize_name(pin.name)] = Version(specifiers[0].version)
    return found


def required() -> list[tuple[str, Requirement]]:
    """Each requirement of the project and of every extra that applies on this platform."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"": project["dependencies"], **project["optional-dependencies"]}
    wanted = []
    for extra, lines in groups.items():
        for requirement in map(Requirement, lines):
            if requirement.marker is None or requirement.marker.evaluate({"extra": extra}):
                wanted.append((extra or "dependencies", requirement))
    return wanted


def test_every_line_is_one_exact_pin_of_a_plain_name():
    loose = [
        str(pin)
        for pin in pins()
        if pin.extras
        or pin.marker
        or pin.url
        or [specifier.operator for specifier in pin.specifier] != ["=="]
    ]

    assert pins(), "the constraints file pins nothing"
    assert loose == []


def test_no_package_is_pinned_twice():
    names = [canonicalize_name(pin.name) for pin in pins()]

    assert sorted({name for name in names if names.count(name) > 1}) == []


def test_every_requirement_of_pyproject_is_pinned_within_its_range():
    versions = pinned_versions()
    unpinned = [
        f"{group}: {requirement}"
        for group, requirement in required()
        if canonicalize_name(requirement.name) not in versions
    ]
    outside = [
        f"{group}: {requirement} but {versions[name]} is pinned"
        for group, requirement in required()
        if (name := canonicalize_name(requirement.name)) in versions
        and not requirement.specifier.contains(versions[name], prereleases=True)
    ]

    assert unpinned == [], "run `make constraints`"
    assert outside == [], "run `make constraints`"


def test_the_project_itself_is_not_pinned():
    assert "innovation" not in pinned_versions()
