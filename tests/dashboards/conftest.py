"""One render of every shipped view per test session (headless Chromium, tests/dashboards/harness), shared by the
tests that read it."""

import json

import pytest

from tests.dashboards import render


def _run_or_skip(tmp_dir, **kwargs):
    """The harness over ``tmp_dir``: ``(completed process, report path)``; skips when it cannot run here."""
    report = tmp_dir / "report.json"
    try:
        run = render.run_harness(str(tmp_dir / "shots"), report=str(report), **kwargs)
    except render.HarnessUnavailable as why:
        pytest.skip(f"dashboard render tier skipped: {why}")
    return run, report


@pytest.fixture
def harness():
    """Runs the harness: ``harness(tmp_dir, views_dir=..., fixtures_dir=...)`` -> ``(completed process, report
    path)``; skips the test when the harness cannot run here."""
    return _run_or_skip


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """The shipped views rendered from their fixtures: ``(completed process, report or None)``."""
    run, report = _run_or_skip(tmp_path_factory.mktemp("render"))
    return run, json.loads(report.read_text()) if report.exists() else None
