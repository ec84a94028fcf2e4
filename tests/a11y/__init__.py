"""Accessibility checks (WCAG 2.2 AA, axe-core in headless Debian Chromium) for HTML a person reads."""

from tests.a11y.checker import WCAG_22_AA, A11yReport, Finding, assert_accessible, check_page, require_accessible

__all__ = ["WCAG_22_AA", "A11yReport", "Finding", "assert_accessible", "check_page", "require_accessible"]
