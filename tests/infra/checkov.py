"""Run checkov (installed apart from the project's packages, in .venv-checkov) over Bicep and read its report.

checkov passes a Bicep file it cannot parse and still exits 0: the report's `parsing_errors` is the only
sign, so a report with any is a failure here, like a failed check.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-checkov"
CHECKOV = VENV / ("Scripts/checkov.cmd" if os.name == "nt" else "bin/checkov")


@dataclass
class Report:
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    passed: int = 0
    parsing_errors: list[str] = field(default_factory=list)
    resource_count: int = 0

    def problems(self) -> list[str]:
        found = [f"{c['check_id']} {c['file_path']} {c['resource']}: {c['check_name']}" for c in self.failed]
        found += [f"checkov could not parse {path}" for path in self.parsing_errors]
        return found


def checkov_or_skip() -> Path:
    """The checkov program; missing is a failure in CI (CI installs it with `make test`), a skip elsewhere."""
    if CHECKOV.exists():
        return CHECKOV
    message = f"checkov is not installed in {VENV.name}: `make checkov` installs it (make test does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_checkov(folder: Path) -> Report:
    program = checkov_or_skip()
    command = [str(program), "--directory", str(folder), "--framework", "bicep", "--output", "json", "--compact",
               "--skip-download"]  # fmt: skip
    environment = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_LOG_LEVEL": "ERROR"}
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=folder, env=environment
    )
    if completed.returncode not in (0, 1):
        raise AssertionError(f"checkov failed to run (exit {completed.returncode}): {completed.stderr[-2000:]}")
    try:
        data = json.loads(completed.stdout)
    except ValueError:
        raise AssertionError(
            f"checkov printed no JSON report: {completed.stdout[:500]} {completed.stderr[-2000:]}"
        ) from None
    report = Report()
    for run in data if isinstance(data, list) else [data]:
        results = run.get("results", {})
        report.failed += results.get("failed_checks", [])
        report.skipped += results.get("skipped_checks", [])
        report.parsing_errors += results.get("parsing_errors", [])
        report.passed += len(results.get("passed_checks", []))
        report.resource_count += run.get("summary", {}).get("resource_count", 0)
    return report
