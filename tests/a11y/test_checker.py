"""The accessibility checker itself: it must fail on a page that breaks WCAG 2.2 AA."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.a11y import check_page, require_accessible

INACCESSIBLE = """<!doctype html>
<html><head><title>Broken on purpose</title></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=">
<p style="color:#c8c8c8;background:#ffffff">Faint grey text that few can read</p>
<form><input type="text" name="who"><button type="button" style="outline:none">Send</button></form>
</body></html>"""


def test_an_inaccessible_page_is_reported_rule_by_rule(tmp_path: Path) -> None:
    shot = tmp_path / "broken.png"
    report = check_page(INACCESSIBLE, name="broken-on-purpose", screenshot=shot)
    assert {"image-alt", "label", "color-contrast", "html-has-lang"} <= report.rules
    by_rule = {finding.rule: finding for finding in report.violations}
    assert by_rule["image-alt"].targets == ["img"] and by_rule["image-alt"].impact == "critical"
    assert by_rule["label"].targets == ["input"]
    assert by_rule["color-contrast"].targets == ["p"]
    # The focus walk finds the button whose outline was taken away, not the input (Chromium's own ring).
    assert report.focus_stops == ["body > form > input", "body > form > button"]
    assert report.focus_not_visible == ["body > form > button"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    with pytest.raises(pytest.fail.Exception) as failed:
        require_accessible(report)
    message = str(failed.value)
    assert f"broken-on-purpose: {len(report.violations)} WCAG 2.2 AA violation(s)" in message
    assert "image-alt [critical]: Images must have alternative text" in message
    assert "label [critical]: Form elements must have labels" in message
    assert "      at input" in message
    assert "focus-visible (WCAG 2.4.7)" in message and "at body > form > button" in message
