"""Invariants of globalConfig.json that UCC does not enforce."""

import ast
import os

from support import ROOT, load_json

CONFIG = load_json("globalConfig.json")
BIN = os.path.join(ROOT, "package", "bin")
SECRET_WORDS = ("secret", "password", "private_key", "token", "api_key")


def _entities():
    for tab in CONFIG["pages"]["configuration"]["tabs"]:
        for entity in tab.get("entity", []):
            yield tab.get("name"), entity
    for service in CONFIG["pages"]["inputs"]["services"]:
        for entity in service["entity"]:
            yield service["name"], entity


def _functions(module_path):
    with open(module_path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    return {node.name: len(node.args.args) for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_meta_names_and_python_versions():
    meta = CONFIG["meta"]
    assert meta["name"] == "TA-auth0"
    assert meta["restRoot"] == "ta_auth0"
    assert meta["displayName"] == "Auth0 Add-on for Splunk"
    assert {"3.9", "3.13"} <= set(meta["supportedPythonVersion"])


def test_every_secret_field_is_encrypted():
    secret_fields = [(owner, e) for owner, e in _entities() if any(w in e["field"] for w in SECRET_WORDS)]
    assert {e["field"] for _, e in secret_fields} >= {"client_secret", "private_key"}
    for owner, entity in secret_fields:
        assert entity.get("encrypted") is True, f"{owner}.{entity['field']} must be encrypted"


def test_every_input_has_a_helper_with_the_ucc_contract():
    for service in CONFIG["pages"]["inputs"]["services"]:
        helper = os.path.join(BIN, service["inputHelperModule"] + ".py")
        assert os.path.exists(helper), helper
        functions = _functions(helper)
        assert functions.get("stream_events") == 2
        assert functions.get("validate_input") == 1


def test_every_custom_rest_handler_exists():
    owners = list(CONFIG["pages"]["configuration"]["tabs"]) + list(CONFIG["pages"]["inputs"]["services"])
    handlers = [(o["restHandlerModule"], o["restHandlerClass"]) for o in owners if "restHandlerModule" in o]
    assert handlers
    for module, cls in handlers:
        path = os.path.join(BIN, module + ".py")
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        assert cls in {n.name for n in tree.body if isinstance(n, ast.ClassDef)}, (module, cls)


def test_standard_tabs_present():
    types = {tab.get("type") for tab in CONFIG["pages"]["configuration"]["tabs"]}
    names = {tab.get("name") for tab in CONFIG["pages"]["configuration"]["tabs"]}
    assert {"proxyTab", "loggingTab"} <= types
    assert {"account", "advanced"} <= names


def test_advanced_defaults_match_the_code():
    from ta_auth0 import config

    advanced = next(t for t in CONFIG["pages"]["configuration"]["tabs"] if t.get("name") == "advanced")
    defaults = {e["field"]: e.get("defaultValue") for e in advanced["entity"]}
    assert defaults["rate_limit_share"] == str(config.DEFAULT_RATE_LIMIT_SHARE)
    assert defaults["request_timeout"] == str(config.DEFAULT_REQUEST_TIMEOUT)


def test_log_category_choices_are_known_categories():
    from ta_auth0.log_types import load_stream_categories

    known = set(load_stream_categories().values())
    service = next(s for s in CONFIG["pages"]["inputs"]["services"] if s["name"] == "auth0_logs")
    items = next(e for e in service["entity"] if e["field"] == "log_categories")["options"]["items"]
    assert {i["value"] for i in items} <= known | {"other"}
