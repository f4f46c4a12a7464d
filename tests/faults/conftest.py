"""Counts what the fault matrix covered, and says it after the run: operations × faults = scans."""

from __future__ import annotations

from typing import Any

import pytest

MATRIX_MARK = "fault_matrix"

_cases: dict[str, tuple[str, str]] = {}  # node id → (operation, fault), for the matrix cases collected
_outcomes: dict[str, str] = {}  # node id → passed | failed | skipped


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MATRIX_MARK}: one scan with one fault injected on one AWS operation")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker(MATRIX_MARK) is not None:
            params = item.callspec.params  # type: ignore[attr-defined]
            _cases[item.nodeid] = (params["call"].name, params["fault"].name)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid not in _cases:
        return
    # A case is failed if any phase failed, skipped if its setup skipped it, passed if its call passed.
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped and report.nodeid not in _outcomes:
        _outcomes[report.nodeid] = "skipped"
    elif report.when == "call" and report.passed:
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    ran = {nodeid: case for nodeid, case in _cases.items() if nodeid in _outcomes}
    if not ran:
        return
    operations = {operation for operation, _ in ran.values()}
    faults = {fault for _, fault in ran.values()}
    counts = {outcome: sum(1 for nodeid in ran if _outcomes[nodeid] == outcome)
              for outcome in ("passed", "failed", "skipped")}
    line = (f"fault injection: {len(operations)} operations × {len(faults)} faults = {len(ran)} scans, "
            + ", ".join(f"{count} {outcome}" for outcome, count in counts.items() if count or outcome == "passed"))
    terminalreporter.write_sep("-", "fault matrix")
    terminalreporter.write_line(line)
