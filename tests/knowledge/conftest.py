"""The pytest-splunk-addon tier: runs only with pytest-splunk-addon installed and SPLUNK_HOST set.

Otherwise test_auth0_addon.py (which imports pytest_splunk_addon) is not collected and a stub test reports the skip,
so `pytest tests` in the dev venv (pytest 9, no pytest-splunk-addon) is unaffected.

With the plugin, connection settings come from the command line or, when left at the plugin's defaults, from the
environment: SPLUNK_HOST, SPLUNK_PORT, SPLUNK_USER, SPLUNK_PASSWORD, SPLUNK_HEC_PORT, SPLUNK_HEC_TOKEN and
SPLUNK_SEARCH_INDEX. The add-on's knowledge objects are read from package/ and the samples from this folder.
"""

import os

from live_splunk import KNOWLEDGE_DIR, LIVE, ROOT

collect_ignore = ["test_live_splunk_skipped.py"] if LIVE else ["test_auth0_addon.py"]

PLUGIN_MARKERS = (
    "first",
    "splunk_indextime",
    "splunk_requirements",
    "splunk_requirements_unit",
    "splunk_searchtime_cim",
    "splunk_searchtime_cim_fields",
    "splunk_searchtime_cim_fields_not_allowed_in_props",
    "splunk_searchtime_cim_fields_not_allowed_in_search",
    "splunk_searchtime_cim_mapped_datamodel",
    "splunk_searchtime_fields",
    "splunk_searchtime_fields_datamodels",
    "splunk_searchtime_fields_eventtypes",
    "splunk_searchtime_fields_negative",
    "splunk_searchtime_fields_positive",
    "splunk_searchtime_fields_requirements",
    "splunk_searchtime_fields_savedsearches",
    "splunk_searchtime_fields_tags",
    "splunk_searchtime_internal_errors",
)

#: option dest -> (pytest-splunk-addon's default, environment variable, this project's default)
OPTIONS = {
    "splunk_type": ("external", None, "external"),
    "splunk_host": ("127.0.0.1", "SPLUNK_HOST", None),
    "splunkd_port": ("8089", "SPLUNK_PORT", None),
    "splunk_user": ("admin", "SPLUNK_USER", None),
    "splunk_password": ("Chang3d!", "SPLUNK_PASSWORD", None),
    "splunk_hec": ("8088", "SPLUNK_HEC_PORT", None),
    "splunk_hec_token": ("9b741d03-43e9-4164-908b-e09102327d22", "SPLUNK_HEC_TOKEN", None),
    "search_index": ("*", "SPLUNK_SEARCH_INDEX", None),
    "splunk_app": ("package", None, os.path.join(ROOT, "package")),
    "splunk_data_generator": ("pytest-splunk-addon-data.conf", None, KNOWLEDGE_DIR),
}


#: pytest-splunk-addon's saved-search test asserts that every saved search returns results over its own dispatch
#: window. The add-on's saved searches are detections (alerts that stay silent over benign samples) and the watchlist
#: fill, so that test cannot pass; `make live` (tools/live_splunk) checks every detection's search in splunkd
#: against its own test events instead.
DESELECTED_MARKERS = ("splunk_searchtime_fields_savedsearches",)


def pytest_configure(config):
    if not LIVE:
        return
    # The repository runs pytest with --strict-markers; pytest-splunk-addon leaves some of its markers unregistered.
    for marker in PLUGIN_MARKERS:
        config.addinivalue_line("markers", f"{marker}: pytest-splunk-addon")
    for dest, (plugin_default, variable, ours) in OPTIONS.items():
        if getattr(config.option, dest, plugin_default) != plugin_default:
            continue  # given on the command line
        value = os.environ.get(variable) if variable else None
        if value or ours:
            setattr(config.option, dest, value or ours)


def pytest_collection_modifyitems(config, items):
    if not LIVE:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if any(item.get_closest_marker(name) for name in DESELECTED_MARKERS) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
