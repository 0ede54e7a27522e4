"""The pytest-splunk-addon samples in tests/knowledge/ are current and well-formed (the live tier itself needs
Splunk; these checks do not)."""

import os
import xml.etree.ElementTree as ET

from psa_samples import SAMPLES_DIR, psa_model, sample_files

from tools.knowledge.searchtime import read_conf

DATA_CONF = os.path.join(os.path.dirname(SAMPLES_DIR), "pytest-splunk-addon-data.conf")


def test_samples_are_generated_from_the_current_knowledge_objects():
    for name, text in sample_files().items():
        with open(os.path.join(SAMPLES_DIR, name), encoding="utf-8") as handle:
            assert handle.read() == text, f"{name} is stale: run .venv/bin/python tests/unit/knowledge/psa_samples.py"


def test_every_sample_file_has_a_data_conf_stanza():
    stanzas = read_conf(DATA_CONF)
    assert set(stanzas) == set(os.listdir(SAMPLES_DIR))
    for stanza in stanzas.values():
        assert stanza["requirement_test_sample"] == "1"
        assert stanza["sourcetype_to_search"] == "auth0:logs"
        assert stanza["input_type"] == "modinput"


def test_sample_xml_has_the_elements_pytest_splunk_addon_requires():
    for name in os.listdir(SAMPLES_DIR):
        root = ET.parse(os.path.join(SAMPLES_DIR, name)).getroot()
        assert root.tag == "device"
        assert [child.tag for child in root][:3] == ["vendor", "product", "version"]
        events = root.findall("event")
        assert events
        for event in events:
            assert {"code", "name", "format"} <= set(event.attrib)
            assert [child.tag for child in event] == ["transport", "source", "raw", "cim"]
            assert event.find("source/comment") is not None
            models = [model.text for model in event.findall("cim/models/model")]
            assert len(models) == 1
            assert models[0] in ("Authentication", "Authentication:Privileged_Authentication", "Change",
                                 "Change:Account_Management", "Change:Auditing_Changes", "Alerts")  # fmt: skip


def test_psa_model_picks_the_most_specific_dataset():
    assert psa_model({"tag": ["authentication", "privileged"]}) == "Authentication:Privileged_Authentication"
    assert psa_model({"tag": ["account", "change"]}) == "Change:Account_Management"
    assert psa_model({"tag": "change"}) == "Change"
