"""Mutants of the domain's module-level constants, which mutmut leaves alone.

Each constant is changed in turn (a number moved by one either way, a flag flipped, a string
altered, an element dropped from a set or tuple, a pair swapped), the domain's unit tests run
against a copy of the tree holding that one change, and a mutant they all pass is reported as a
survivor. The random stateful run is left out, as it is for mutmut (see ``[tool.mutmut]``).
Run from the repository root: ``python -m tests.mutation_constants`` (``make mutation`` does).
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = Path("innovation/domain")
COPIED = ("innovation", "tests", "pyproject.toml", "schema.graphql")
PYTEST = [
    "-m",
    "pytest",
    "tests/unit/domain",
    "--ignore=tests/unit/domain/test_folding_properties.py",
    # a verdict is all that is needed, as fast as it comes: stop at the first failure, and skip
    # what only helps a reader (assertion rewriting, Hypothesis statistics)
    "-x",
    "-q",
    "--assert=plain",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:hypothesispytest",
]
SKIPPED = {
    "BOUNDS": "the index of the bounds; its keys are checked against the probes one by one",
    "COUNTRY_CODES": "ISO 3166-1 data, checked whole (count and members) by the values tests",
    "REWORKED_BEYOND": "where a kept assembler turns from one way of giving a result to another"
    " that gives the same; the assembly tests run both",
}
"""Constants left alone, and why."""


@dataclass(frozen=True)
class Mutant:
    path: Path
    line: int
    end_line: int
    name: str
    source: str
    """The mutated statement, replacing lines ``line`` to ``end_line``."""
    description: str

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line} {self.name}: {self.description}"


def _target(statement: ast.stmt) -> str | None:
    """The constant's name, for a module-level assignment of one name that is not a type alias."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        if ast.unparse(statement.annotation) == "TypeAlias":
            return None
        target = statement.target
    else:
        return None
    if not isinstance(target, ast.Name) or target.id.startswith("__"):
        return None
    value = statement.value
    if isinstance(value, ast.Call) and ast.unparse(value.func) in {"TypeVar", "Decider"}:
        return None
    return target.id


def _changes(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Each mutation of ``node`` alone: a description and the node that replaces it."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield f"{value} → {not value}", ast.Constant(not value)
        elif isinstance(value, int | float):
            for step in (1, -1):
                yield f"{value!r} → {value + step!r}", ast.Constant(value + step)
        elif isinstance(value, str):
            yield f"{value!r} → {'XX' + value!r}", ast.Constant("XX" + value)
    elif isinstance(node, ast.Set | ast.Tuple | ast.List) and node.elts:
        for index, element in enumerate(node.elts):
            smaller = copy.deepcopy(node)
            del smaller.elts[index]
            if isinstance(smaller, ast.Set) and not smaller.elts:
                yield f"drop {ast.unparse(element)}", ast.parse("set()", mode="eval").body
            else:
                yield f"drop {ast.unparse(element)}", smaller
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            swapped = copy.deepcopy(node)
            swapped.elts.reverse()
            yield f"swap {ast.unparse(node)}", swapped


class _Replace(ast.NodeTransformer):
    def __init__(self, index: int, replacement: ast.AST) -> None:
        self.index = index
        self.replacement = replacement
        self.seen = -1

    def visit(self, node: ast.AST) -> ast.AST:
        self.seen += 1
        if self.seen == self.index:
            return self.replacement
        return super().visit(node)


def mutants(path: Path) -> Iterator[Mutant]:
    """Every mutant of the module-level constants of ``path`` (relative to the root)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    for statement in tree.body:
        name = _target(statement)
        if name is None or name in SKIPPED:
            continue
        assert statement.end_lineno is not None
        assert isinstance(statement, ast.Assign | ast.AnnAssign)
        value = statement.value
        assert value is not None
        for index, node in enumerate(_preorder(value)):
            for description, replacement in _changes(node):
                changed = copy.deepcopy(statement)
                mutated = _Replace(index, replacement).visit(copy.deepcopy(value))
                assert isinstance(mutated, ast.expr)
                changed.value = mutated
                yield Mutant(
                    path=path,
                    line=statement.lineno,
                    end_line=statement.end_lineno,
                    name=name,
                    source=ast.unparse(ast.fix_missing_locations(changed)),
                    description=description,
                )


def _preorder(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes in the order ``_Replace`` visits them."""
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _preorder(child)


def _copy_tree(into: Path) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / name)


def _tests_pass(workdir: Path) -> bool:
    environment = os.environ | {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(workdir)}
    done = subprocess.run(
        [sys.executable, *PYTEST],
        cwd=workdir,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return done.returncode == 0


def _survives(mutant: Mutant, workdir: Path) -> bool:
    """Whether the fast tests all pass with ``mutant`` applied to the copy in ``workdir``."""
    file = workdir / mutant.path
    original = file.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    lines[mutant.line - 1 : mutant.end_line] = [mutant.source + "\n"]
    file.write_text("".join(lines), encoding="utf-8")
    try:
        return _tests_pass(workdir)
    finally:
        file.write_text(original, encoding="utf-8")


def _score(killed: int, total: int) -> str:
    return f"{killed}/{total} mutants killed ({killed / max(total, 1):.1%})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--mutmut-stats", type=Path, help="mutmut's exported stats, to print its score first"
    )
    arguments = parser.parse_args()
    if arguments.mutmut_stats:
        stats = json.loads(arguments.mutmut_stats.read_text(encoding="utf-8"))
        print(f"mutmut: {_score(stats['killed'], stats['total'])}, {stats['survived']} survived")
    everything = [
        mutant
        for path in sorted((ROOT / DOMAIN).glob("*.py"))
        if path.name != "__init__.py"
        for mutant in mutants(path.relative_to(ROOT))
    ]
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutation-constants-") as scratch:
        workdirs = [Path(scratch) / f"worker-{n}" for n in range(arguments.jobs)]
        for workdir in workdirs:
            _copy_tree(workdir)
        if not _tests_pass(workdirs[0]):
            print("the fast tests fail without any mutant: fix them first", file=sys.stderr)
            return 2
        free = list(workdirs)

        def run(mutant: Mutant) -> tuple[Mutant, bool]:
            workdir = free.pop()
            try:
                return mutant, _survives(mutant, workdir)
            finally:
                free.append(workdir)

        with ThreadPoolExecutor(max_workers=arguments.jobs) as pool:
            outcomes = list(pool.map(run, everything))
    survivors = [mutant for mutant, survived in outcomes if survived]
    killed = len(outcomes) - len(survivors)
    elapsed = time.monotonic() - began
    print(f"constants: {_score(killed, len(outcomes))} in {elapsed:.0f} s")
    for name, reason in SKIPPED.items():
        print(f"  not mutated: {name}: {reason}")
    for mutant in survivors:
        print(f"  survived: {mutant}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
