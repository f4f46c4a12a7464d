"""How a stage of the pipeline keeps one bad input that input's problem.

Graph building, the rules, the personal-data pass and the views each meet facts they did not expect:
an id of a shape nobody foresaw, an attribute a rule cannot read. Each such failure becomes a coverage
gap of service `lineage` naming the step and the node, and the stage goes on with everything else. This
is where the pipeline turns an exception into a gap after collection, so checks and steps stay plain
code (a diff, which has no gaps, words an odd attribute plainly instead: `lineage.drift`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from lineage import redact
from lineage.model import CoverageGap

SERVICE = "lineage"


def describe_error(error: BaseException) -> str:
    """`Type: first line of the message`, short enough for a gap."""
    lines = str(error).strip().splitlines()
    return redact.short(f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__, 500)


@dataclass(slots=True)
class Outcome:
    """What became of a guarded block: `failed` is set when its exception was turned into a gap."""

    failed: bool = False


@dataclass(slots=True)
class Problems:
    """The gaps one stage met; `guard` is where a failure on one item becomes one of them."""

    gaps: list[CoverageGap] = field(default_factory=list)

    @contextmanager
    def guard(self, step: str, resource: str = "", region: str = "") -> Iterator[Outcome]:
        """Run the block; an exception in it is recorded against `step` and `resource` and goes no further."""
        outcome = Outcome()
        try:
            yield outcome
        except Exception as error:  # noqa: BLE001 - the purpose: one item's failure stays that item's
            outcome.failed = True
            self.failed(step, resource, error, region)

    def failed(self, step: str, resource: str, error: BaseException, region: str = "") -> None:
        """Record what `guard` records, from a loop too hot for a context manager per item (a plain
        `try` costs nothing until something raises)."""
        self.gaps.append(CoverageGap(SERVICE, step, resource, describe_error(error), region))

    def add(self, step: str, resource: str, message: str, region: str = "") -> None:
        self.gaps.append(CoverageGap(SERVICE, step, resource, redact.short(message, 500), region))
