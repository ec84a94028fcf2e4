"""Checks a page a person reads against WCAG 2.2 AA with axe-core in headless Debian Chromium.

`assert_accessible(url_or_html, name=...)` loads a URL (``http://``, ``https://``, ``file://``) or a
string of HTML, runs axe-core with the WCAG 2.0/2.1/2.2 A and AA tags, tabs through the page to find
focus stops with no visible focus indicator, and fails the test with a readable list. The browser is
driven by `axe_check.mjs` (npm `playwright-core` and `axe-core`, pinned in package.json) in a
subprocess that answers JSON. Set `CYNARE_A11Y_SHOTS=DIR` to keep a screenshot of every checked page
as `DIR/<name>.png`, or pass `screenshot=path`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("axe_check.mjs")
CHROMIUM = os.environ.get("CYNARE_CHROMIUM", "/usr/bin/chromium")
WCAG_22_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
_URL = re.compile(r"^(https?|file)://", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One axe rule that failed (or could not decide), with the elements it failed on."""

    rule: str
    impact: str | None
    help: str
    help_url: str
    targets: list[str]
    summaries: list[str] = field(default_factory=list)

    def describe(self) -> str:
        where = "\n".join(f"      at {target}" for target in self.targets)
        return f"  - {self.rule} [{self.impact or 'n/a'}]: {self.help} ({self.help_url})\n{where}"


@dataclass(frozen=True)
class A11yReport:
    name: str
    url: str
    axe_version: str
    violations: list[Finding]
    incomplete: list[Finding]
    focus_stops: list[str]
    focus_not_visible: list[str]
    blocked_requests: list[str]
    screenshot: Path | None

    @property
    def rules(self) -> set[str]:
        return {finding.rule for finding in self.violations}

    @property
    def ok(self) -> bool:
        return not self.violations and not self.focus_not_visible

    def describe(self) -> str:
        lines = [f"{self.name}: {len(self.violations)} WCAG 2.2 AA violation(s) by axe-core {self.axe_version}"]
        lines += [finding.describe() for finding in self.violations]
        if self.focus_not_visible:
            lines.append("  - focus-visible (WCAG 2.4.7): no visible change when these get keyboard focus")
            lines += [f"      at {selector}" for selector in self.focus_not_visible]
        if self.blocked_requests:
            lines.append("  (requests outside loopback were blocked: " + ", ".join(self.blocked_requests) + ")")
        if self.screenshot is not None:
            lines.append(f"  screenshot: {self.screenshot}")
        return "\n".join(lines)


def _findings(raw: list[dict[str, Any]]) -> list[Finding]:
    return [
        Finding(
            rule=item["id"],
            impact=item.get("impact"),
            help=item["help"],
            help_url=item["helpUrl"],
            targets=[" ".join(map(str, node["target"])) for node in item["nodes"]],
            summaries=[node["summary"] for node in item["nodes"]],
        )
        for item in raw
    ]


def _tools() -> str:
    node = shutil.which("node")
    missing = []
    if node is None:
        missing.append("Node 20 (`node` on PATH)")
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM} (as root: `apt-get install -y chromium`, or `make install`)")
    for package in ("axe-core", "playwright-core"):
        if not (ROOT / "node_modules" / package / "package.json").is_file():
            missing.append(f"npm package {package} (`npm ci` in {ROOT})")
    if missing:
        pytest.fail("the accessibility check cannot run; missing: " + "; ".join(missing), pytrace=False)
    assert node is not None
    return node


def check_page(
    url_or_html: str,
    *,
    name: str,
    screenshot: Path | None = None,
    check_focus: bool = True,
    tags: tuple[str, ...] = WCAG_22_AA,
    timeout: float = 60.0,
) -> A11yReport:
    """Run axe-core (and the focus walk) on a URL or an HTML string; report, without failing on findings."""
    node = _tools()
    shots = os.environ.get("CYNARE_A11Y_SHOTS")
    if screenshot is None and shots:
        screenshot = Path(shots) / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cynare-a11y-") as work:
        request: dict[str, Any] = {
            "tags": list(tags),
            "checkFocus": check_focus,
            "chromium": CHROMIUM,
            "timeoutMs": int(timeout * 1000 / 2),
        }
        if _URL.match(url_or_html.strip()):
            request["url"] = url_or_html.strip()
        else:
            page = Path(work) / "page.html"
            page.write_text(url_or_html, encoding="utf-8")
            request["htmlFile"] = str(page)
        if screenshot is not None:
            request["screenshot"] = str(screenshot.resolve())
        request_file = Path(work) / "request.json"
        request_file.write_text(json.dumps(request), encoding="utf-8")
        done = subprocess.run(
            [node, str(SCRIPT), str(request_file)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        pytest.fail(
            f"{name}: the axe check could not run (exit {done.returncode}):\n{done.stderr.strip()}", pytrace=False
        )
    raw = json.loads(done.stdout)
    return A11yReport(
        name=name,
        url=raw["url"],
        axe_version=raw["axeVersion"],
        violations=_findings(raw["violations"]),
        incomplete=_findings(raw["incomplete"]),
        focus_stops=raw["focusStops"],
        focus_not_visible=raw["focusNotVisible"],
        blocked_requests=raw["blockedRequests"],
        screenshot=screenshot,
    )


def assert_accessible(
    url_or_html: str,
    *,
    name: str,
    screenshot: Path | None = None,
    check_focus: bool = True,
    tags: tuple[str, ...] = WCAG_22_AA,
) -> A11yReport:
    """Fail the test, listing each violation (rule, impact, help, targets), unless the page meets WCAG 2.2 AA."""
    return require_accessible(
        check_page(url_or_html, name=name, screenshot=screenshot, check_focus=check_focus, tags=tags)
    )


def require_accessible(report: A11yReport) -> A11yReport:
    """Fail the test with the report's readable list unless it found nothing."""
    if not report.ok:
        pytest.fail(report.describe(), pytrace=False)
    return report
