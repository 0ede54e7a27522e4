"""pytest-splunk-addon's generated tests (fields, eventtypes, tags, CIM, sample requirements) against a live Splunk.

Collected only when pytest-splunk-addon is installed and SPLUNK_HOST is set (see conftest.py and README.md).
"""

from pytest_splunk_addon.standard_lib.addon_basic import Basic


class Test_App(Basic):
    """Every test comes from Basic; pytest-splunk-addon parametrizes them from the add-on and the samples."""
