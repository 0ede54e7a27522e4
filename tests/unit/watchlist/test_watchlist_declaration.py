"""The command's declaration (globalConfig.json customSearchCommand) and its KV store collection and lookup."""

import ast
import json
import os

import watchlist_helpers as h
from addonfactory_splunk_conf_parser_lib import TABConfigParser

from ta_auth0 import watchlist

with open(os.path.join(h.ROOT, "globalConfig.json"), encoding="utf-8") as _handle:
    CONFIG = json.load(_handle)
(COMMAND,) = CONFIG["customSearchCommand"]


def _conf(name):
    parser = TABConfigParser()
    parser.read(os.path.join(h.ROOT, "package", "default", name))
    return parser


def test_the_declaration_matches_the_command():
    assert COMMAND["commandName"] == watchlist.COMMAND == "auth0watchlist"
    assert COMMAND["commandType"] == "streaming"
    assert [a["name"] for a in COMMAND["arguments"]] == list(watchlist.OPTION_NAMES)
    assert not any(a.get("required") for a in COMMAND["arguments"])
    assert COMMAND["requiredSearchAssistant"] is True
    assert len(COMMAND["syntax"]) <= 100  # UCC's schema limit
    for example in COMMAND["examples"]:
        assert example["search"].count("| auth0watchlist") == 1


def test_ucc_contract_file_exports_stream():
    # UCC requires fileName in package/bin and imports stream(self, events) from it in the wrapper it generates
    path = os.path.join(h.BIN, COMMAND["fileName"])
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    functions = {node.name: len(node.args.args) for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert functions.get("stream") == 2
    # and our own file replaces the generated wrapper under the command's name
    assert os.path.exists(os.path.join(h.BIN, COMMAND["commandName"] + ".py"))


def test_entry_point_is_import_safe():
    import importlib.util

    spec = importlib.util.spec_from_file_location("auth0watchlist_entry", os.path.join(h.BIN, "auth0watchlist.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # must not start talking to stdin/stdout
    assert callable(module.main)
    assert module.main(["__GETINFO__"]) == 2  # SCP v1 (arguments on the command line) is not spoken


def test_collection_and_lookup_hold_every_watchlist_field():
    collection = dict(_conf("collections.conf").items("auth0_client_watchlist"))
    assert {name[len("field.") :] for name in collection if name.startswith("field.")} == set(watchlist.ENTRY_FIELDS)
    assert _conf("collections.conf").has_section("ta_auth0_checkpoints")
    lookup = dict(_conf("transforms.conf").items("auth0_client_watchlist"))
    assert lookup["external_type"] == "kvstore"
    assert lookup["collection"] == watchlist.COLLECTION
    assert [f.strip() for f in lookup["fields_list"].split(",")] == ["_key", *watchlist.ENTRY_FIELDS]
