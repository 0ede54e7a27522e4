"""Stands in for the live-Splunk tier when it cannot run, so `pytest tests` reports why it was skipped."""

import pytest
from live_splunk import LIVE, WHY_NOT_LIVE


@pytest.mark.live_splunk
def test_pytest_splunk_addon_suite():
    if not LIVE:
        pytest.skip(WHY_NOT_LIVE)
