"""The reconciliation email meets WCAG 2.2 AA (axe-core in Chromium): on an all-clear day, and on a
day with every cause, unexplained differences, an entity not reconciled, notices and a control
account off. The chart is inlined as a data URL, as a mail client shows the attached image. And it
reflows to a 320 CSS pixel wide screen, which axe does not check."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cynare.domain.reconciliation import ReconciliationReport
from cynare.presentation.reconciliation.chart import trend_chart_png
from cynare.presentation.reconciliation.email_html import reconciliation_email
from tests.a11y import assert_accessible
from tests.a11y.checker import CHROMIUM, ROOT
from tests.unit.presentation.report_fixtures import all_clear_report, busy_report, large_report

CID = "trend@cynare"


def email_as_shown(report: ReconciliationReport) -> str:
    _, page = reconciliation_email(report, CID)
    chart = trend_chart_png(report)
    assert chart is not None
    shown = page.replace(f"cid:{CID}", "data:image/png;base64," + base64.b64encode(chart).decode())
    assert shown != page
    return shown


@pytest.mark.parametrize(
    ("name", "report"),
    [("reconciliation-all-clear", all_clear_report()), ("reconciliation-needs-attention", busy_report())],
)
def test_the_email_meets_wcag_22_aa(name: str, report: ReconciliationReport) -> None:
    result = assert_accessible(email_as_shown(report), name=name)
    # axe decided every rule, contrast included; the status link is the one focus stop and shows focus
    assert result.incomplete == [], result.incomplete
    assert len(result.focus_stops) == 1, result.focus_stops
    assert not result.blocked_requests


def test_the_email_without_its_image_meets_wcag_22_aa() -> None:
    # as Outlook shows it before images are allowed: the trend in words
    _, page = reconciliation_email(busy_report(), None)
    result = assert_accessible(page, name="reconciliation-no-image")
    assert result.incomplete == [], result.incomplete


# Loads the page at a given width in the same headless Chromium and reports how wide its content is.
_REFLOW = """
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const { chromium } = require('playwright-core');
const [file, executablePath, width] = process.argv.slice(-3);
const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: Number(width), height: 640 } });
  await page.route(/^(?!file:|data:)/, (route) => route.abort());
  await page.goto('file://' + file);
  const sizes = await page.evaluate(() => ({
    content: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth,
  }));
  console.log(JSON.stringify(sizes));
} finally {
  await browser.close();
}
"""


@pytest.mark.parametrize("report", [busy_report(), large_report(compared=3_000, differing=300)], ids=["busy", "large"])
def test_the_email_reflows_to_320_css_pixels_without_scrolling_sideways(
    report: ReconciliationReport, tmp_path: Path
) -> None:
    # WCAG 1.4.10 Reflow: a phone held upright; long client names and documents wrap, the page does not widen
    node = shutil.which("node")
    if node is None:
        pytest.fail("the reflow check needs Node 20 (`node` on PATH)", pytrace=False)
    page = tmp_path / "email.html"
    page.write_text(email_as_shown(report), encoding="utf-8")
    done = subprocess.run(
        [node, "--input-type=module", "-e", _REFLOW, str(page), CHROMIUM, "320"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sizes = json.loads(done.stdout)
    assert sizes["viewport"] == 320
    assert sizes["content"] <= sizes["viewport"], sizes
