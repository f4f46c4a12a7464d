"""`make mutation`: how much of what users see the tests would notice changing.

Two measures, each in a copy of the tree so the work tree is never touched:

1. Named mutants: one-line changes that each alter a result a user sees (a lifecycle rule filtered by
   object size counted as covering, `s3://b/raw` joined with `s3://b/rawdata`, …). Each must make the
   suite fail; a survivor is listed and makes the command exit 1.
2. mutmut over the rules, the graph and the ASL parser (`[tool.mutmut]` in pyproject.toml): every
   mutant it can make, run against the tests that reach the function it changes; the score is printed.

Slow on two cores (tens of minutes): not part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
TESTS = ["tests/lineage", "tests/collectors"]


@dataclass(frozen=True)
class Mutant:
    what: str  # what a user would see wrong
    path: str
    before: str
    after: str


NAMED = (
    Mutant("a lifecycle rule filtered by object size counts as covering", "lineage/rules/s3.py",
           'or candidate.get("tags") or candidate.get("size")', 'or candidate.get("tags")'),
    Mutant("s3://b/raw is the same data as s3://b/rawdata", "lineage/graph.py",
           'for index, char in enumerate(prefix) if char == "/"]', "for index, char in enumerate(prefix) if index]"),
    Mutant("receiveMessage is recorded as a write", "lineage/asl.py",
           'EdgeKind.READS if action.startswith("receive") else EdgeKind.WRITES', "EdgeKind.WRITES"),
    Mutant("an Athena CTAS target is recorded as a read", "lineage/sql.py",
           " or table is written:", ":"),
    Mutant("the lineage:pii tag is ignored", "lineage/graph.py",
           'categories.add("declared")', "pass"),
    Mutant("one public-access setting off alone is not reported", "lineage/rules/s3.py",
           "    if missing:\n", "    if len(missing) > 1:\n"),
    Mutant("a named EventBusName is ignored (the default bus is written)", "lineage/asl.py",
           'if entry_args.raw("EventBusName") is None:', "if True:"),
    Mutant("BoolIfExists on aws:SecureTransport is not read", "collectors/s3.py",
           '("Bool", "BoolIfExists"), "aws:securetransport"', '("Bool",), "aws:securetransport"'),
    Mutant("S3 ARNs outside the aws partition are not S3", "lineage/arn.py",
           'r"^arn:aws(?:-[a-z-]+)?:s3:::"', 'r"^arn:aws:s3:::"'),
    Mutant("an S3 pattern's bucket matchers are dropped", "lineage/patterns.py",
           "matchers.extend(m for m in found if m not in matchers)", "pass"),
)


def copy_tree(destination: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    for name in tracked:
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def environment(tree: Path) -> dict[str, str]:
    return {**os.environ, "LINEAGE_CORPUS": str(CORPUS), "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def suite_fails(tree: Path) -> bool:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TESTS],
                            cwd=tree, env=environment(tree), capture_output=True, text=True)
    return result.returncode != 0


def named_mutants() -> list[Mutant]:
    """The named mutants the suite does not notice."""
    survivors = []
    with tempfile.TemporaryDirectory(prefix="lineage-mutant-") as folder:
        tree = Path(folder)
        copy_tree(tree)
        if suite_fails(tree):
            sys.exit("the suite fails without any mutation: fix it first")
        for mutant in NAMED:
            path = tree / mutant.path
            original = path.read_text(encoding="utf-8")
            if original.count(mutant.before) != 1:
                sys.exit(f"{mutant.path}: the code this mutant changes is gone: {mutant.before!r}")
            path.write_text(original.replace(mutant.before, mutant.after), encoding="utf-8")
            killed = suite_fails(tree)
            path.write_text(original, encoding="utf-8")
            print(f"  {'killed  ' if killed else 'SURVIVED'}  {mutant.what}", flush=True)
            if not killed:
                survivors.append(mutant)
    return survivors


_RESULT = re.compile(r"^\s*(?P<name>[\w.]+__mutmut_\d+): (?P<status>.+)$")


def mutmut_score(children: int) -> Counter[str]:
    with tempfile.TemporaryDirectory(prefix="lineage-mutmut-") as folder:
        tree = Path(folder)
        copy_tree(tree)
        env = {**os.environ, "LINEAGE_CORPUS": str(CORPUS)}
        mutmut = [sys.executable, "-m", "mutmut"]
        subprocess.run([*mutmut, "run", "--max-children", str(children)], cwd=tree, env=env,
                       stdout=subprocess.DEVNULL, check=False)
        listing = subprocess.run([*mutmut, "results", "--all", "true"], cwd=tree, env=env, capture_output=True,
                                 text=True).stdout
    statuses: Counter[str] = Counter()
    by_file: dict[str, Counter[str]] = {}
    for line in listing.splitlines():
        match = _RESULT.match(line)
        if match:
            status = match["status"].strip()
            statuses[status] += 1
            module = match["name"].split(".x_")[0].split(".xǁ")[0]
            by_file.setdefault(module, Counter())[status] += 1
    for module, counts in sorted(by_file.items()):
        total = sum(counts.values())
        print(f"  {module:32} {counts['killed']:4}/{total:<4} killed", flush=True)
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--named-only", action="store_true", help="only the named mutants (a few minutes)")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2, help="mutants run at once")
    arguments = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"note: no corpus at {CORPUS}; the tests that read it are skipped, so fewer mutants are killed")
    print("named mutants (each changes what a user sees):", flush=True)
    survivors = named_mutants()
    print(f"  {len(NAMED) - len(survivors)} of {len(NAMED)} killed")
    if not arguments.named_only:
        print("mutmut over lineage/rules/, lineage/graph.py and lineage/asl.py:", flush=True)
        statuses = mutmut_score(arguments.children)
        total = sum(statuses.values())
        killed = statuses["killed"]
        rest = ", ".join(f"{status} {count}" for status, count in statuses.most_common() if status != "killed")
        print(f"mutation score: {killed}/{total} killed = {100 * killed / max(total, 1):.1f} % ({rest})")
    sys.exit(1 if survivors else 0)


if __name__ == "__main__":
    main()
