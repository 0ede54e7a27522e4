"""The shipped Dashboard Studio views, read the way Splunk reads them: ``<dashboard version="2">`` XML whose
``<definition>`` holds the JSON definition. Shared by the tests, the fixture derivation and the render wrapper."""

import json
import os
import xml.etree.ElementTree as ET
from typing import Dict, Iterator, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VIEWS_DIR = os.path.join(ROOT, "package", "default", "data", "ui", "views")
NAV_FILE = os.path.join(ROOT, "package", "default", "data", "ui", "nav", "default.xml")
MACROS_FILE = os.path.join(ROOT, "package", "default", "macros.conf")
FIXTURES_DIR = os.path.join(HERE, "fixtures")
SCREENSHOTS_DIR = os.path.join(ROOT, "docs", "img")

# The views this issue ships, in the order the nav and the docs list them.
VIEWS = ("auth0_overview", "auth0_copied_credentials", "auth0_dcr")


class View:
    def __init__(self, name: str, path: str):
        self.name, self.path = name, path
        self.root = ET.parse(path).getroot()  # raises on malformed XML
        self.label = (self.root.findtext("label") or "").strip()
        text = self.root.findtext("definition")
        if text is None:
            raise ValueError(f"{path}: no <definition>")
        self.definition = json.loads(text)

    @property
    def data_sources(self) -> Dict[str, dict]:
        return self.definition.get("dataSources", {})

    def fixture_path(self) -> str:
        return os.path.join(FIXTURES_DIR, self.name + ".json")

    def fixtures(self) -> Dict[str, dict]:
        with open(self.fixture_path(), encoding="utf-8") as handle:
            return json.load(handle)["dataSources"]


def shipped_view_files() -> List[str]:
    return sorted(f[:-4] for f in os.listdir(VIEWS_DIR) if f.endswith(".xml"))


def load_views() -> List[View]:
    return [View(name, os.path.join(VIEWS_DIR, name + ".xml")) for name in VIEWS]


def data_source_refs(definition: dict) -> Iterator[Tuple[str, str]]:
    """(where, data source id) for every reference: visualizations, inputs, chain bases."""
    for kind in ("visualizations", "inputs"):
        for item_id, item in definition.get(kind, {}).items():
            for role, ds_id in item.get("dataSources", {}).items():
                yield f"{kind}.{item_id}.dataSources.{role}", ds_id
    for ds_id, ds in definition.get("dataSources", {}).items():
        if ds.get("type") == "ds.chain":
            yield f"dataSources.{ds_id}.options.extend", ds["options"].get("extend", "")
