"""Static checks of the knowledge objects: confs, lookups, eventtypes, tags and their agreement."""

import csv
import os
import re

import pytest
from knowledge_samples import shared_data_dir, shared_log_type_codes

from tools.knowledge import cim, spl_eval, spl_search
from tools.knowledge.cim_table import DOC, render_doc
from tools.knowledge.searchtime import (
    INDEX_TIME_PROPS,
    PACKAGE,
    KnowledgeModel,
    LookupSpec,
    lookup_rows,
    read_conf,
)

MODEL = KnowledgeModel()
ROWS = lookup_rows()
BY_CODE = {row["code"]: row for row in ROWS}
DEFINITIONS = cim.load_definitions()
SOURCETYPE = "auth0:logs"
MGMT_CODES = ("sapi", "fapi", "mgmt_api_read")

REQUIRED_COLUMNS = ("code", "category", "stream_category")
MODEL_OF_DATASET = {
    "Authentication": "Authentication",
    "Account_Management": "Change",
    "All_Changes": "Change",
    "Alerts": "Alerts",
    "": "",
}
#: Eventtype -> (data model, dataset) it feeds.
EVENTTYPES = {
    "auth0_authentication": ("Authentication", "Authentication"),
    "auth0_authentication_privileged": ("Authentication", "Privileged_Authentication"),
    "auth0_change_account_management": ("Change", "Account_Management"),
    "auth0_change_all_changes": ("Change", "All_Changes"),
    "auth0_change_auditing_changes": ("Change", "Auditing_Changes"),
    "auth0_alerts": ("Alerts", "Alerts"),
}
CIM_TAGS = {"authentication", "privileged", "change", "account", "audit", "alert"}


def _in_list(search: str, field: str = "data.type"):
    """The values of the first ``<field> IN (...)`` in a search."""
    match = re.search(re.escape(field) + r" IN \(([^)]*)\)", search)
    return [item.strip().strip('"') for item in match.group(1).split(",")] if match else []


def _eval_expression(name: str) -> str:
    return MODEL.props[SOURCETYPE][f"EVAL-{name}"]


def _eval_in_lists(name: str):
    """Every literal list of log type codes an EVAL tests with in('data.type', ...)."""
    return [
        [item.strip().strip('"') for item in group.split(",")]
        for group in re.findall(r"in\('data\.type', ([^)]*)\)", _eval_expression(name))
    ]


# --- confs ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["props", "transforms", "eventtypes", "tags", "macros"])
def test_knowledge_confs_parse(name):
    assert read_conf(os.path.join(PACKAGE, "default", f"{name}.conf"))


def test_every_eval_parses_and_uses_only_modelled_functions():
    for name, node in MODEL.compiled_evals(SOURCETYPE).items():
        assert spl_eval.functions_used(node) is not None, name


def test_every_eventtype_and_macro_search_parses():
    for name, stanza in MODEL.eventtypes.items():
        spl_search.compile_search(stanza["search"], MODEL.macros)
        assert "index=" not in stanza["search"], f"{name}: eventtypes must not pin an index"
    for name in MODEL.macros:
        spl_search.compile_search(f"`{name}`", MODEL.macros)


def test_product_macro_uses_the_index_macro_and_every_sourcetype():
    definition = MODEL.macros["auth0_logs"]
    assert "`auth0_index`" in definition
    for sourcetype in ("auth0:logs", "auth0", "auth0_logs"):
        assert f'"{sourcetype}"' in definition
    assert spl_search.matches("`auth0_logs`", {"index": "auth0", "sourcetype": "auth0:logs"}, MODEL.macros)
    assert not spl_search.matches("`auth0_logs`", {"index": "auth0", "sourcetype": "okta"}, MODEL.macros)
    assert spl_search.matches(
        "`auth0_management_api`", {"index": "x", "sourcetype": "auth0:logs", "data.type": "sapi"}, MODEL.macros
    )


def test_hec_sourcetypes_are_renamed_and_parsed_like_the_main_one():
    main = MODEL.props[SOURCETYPE]
    for sourcetype in ("auth0", "auth0_logs"):
        stanza = MODEL.props[sourcetype]
        assert stanza["rename"] == SOURCETYPE
        for key in INDEX_TIME_PROPS:
            assert stanza.get(key) == main.get(key), f"[{sourcetype}] {key}"
        search_time = [
            k for k in stanza if k.startswith(("KV_MODE", "FIELDALIAS-", "EVAL-", "LOOKUP-", "REPORT-", "EXTRACT-"))
        ]
        assert not search_time, f"[{sourcetype}] search-time settings are ignored after rename: {search_time}"


def test_index_time_settings():
    main = MODEL.props[SOURCETYPE]
    assert main["SHOULD_LINEMERGE"] == "false"
    assert main["KV_MODE"] == "json"
    assert main["TZ"] == "UTC"
    assert "%3N" in main["TIME_FORMAT"]
    assert main["TIME_FORMAT"].endswith("Z")
    assert int(main["TRUNCATE"]) >= 1_000_000
    assert 24 <= int(main["MAX_TIMESTAMP_LOOKAHEAD"]) <= 64
    assert main["category"]
    assert main["description"]
    assert main["pulldown_type"] == "true"


# --- the log type lookup ----------------------------------------------------------------------------------------


def test_lookup_keeps_the_columns_the_input_needs():
    with open(os.path.join(PACKAGE, "lookups", "auth0_log_types.csv"), encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    for column in REQUIRED_COLUMNS:
        assert column in header
    for row in ROWS:
        assert row["stream_category"], row["code"]
        assert row["stream_category"] == "other" or re.match(r"^[a-z_]+(\.[a-z_]+)*$", row["stream_category"])


def test_lookup_codes_are_unique_and_complete():
    codes = [row["code"] for row in ROWS]
    assert len(codes) == len(set(codes))
    assert len(codes) >= 186


def test_every_code_of_the_shared_reference_is_in_the_lookup():
    shared = shared_log_type_codes()
    if shared is None:
        pytest.skip("shared/reference/data not found beside the repository (set TA_AUTH0_SHARED_DATA)")
    assert sorted(set(shared) - set(BY_CODE)) == []


def test_auth0_categories_match_the_shared_reference():
    folder = shared_data_dir()
    if folder is None:
        pytest.skip("shared/reference/data not found beside the repository (set TA_AUTH0_SHARED_DATA)")
    with open(os.path.join(folder, "auth0_log_types_extended.csv"), encoding="utf-8", newline="") as handle:
        reference = {row["code"]: row for row in csv.DictReader(handle)}
    for code, row in reference.items():
        if code == "fapi":  # legacy code: the add-on files it under Management API - Failure / management.fail
            assert (BY_CODE[code]["category"], BY_CODE[code]["stream_category"]) == (
                "Management API - Failure",
                "management.fail",
            )
            continue
        assert BY_CODE[code]["category"] == row["category"], code
        assert BY_CODE[code]["stream_category"] == (row["stream_filter_api_name"] or "other"), code


def test_lookup_values_are_allowed():
    allowed_actions = {
        "Authentication": {"success", "failure"},
        "Change": {"created", "deleted", "modified", "read", "updated"},
    }
    for row in ROWS:
        code, dataset, model = row["code"], row["cim_dataset"], row["cim_datamodel"]
        assert MODEL_OF_DATASET[dataset] == model, code  # one data model per code, consistent with the dataset
        assert row["outcome"] in ("success", "failure", "warning", "info"), code
        assert row["description"], code
        assert len(row["description"]) <= 90, code
        assert row["vendor_product"] == "Auth0", code
        if model in allowed_actions:
            assert row["action"] in allowed_actions[model], code
        else:
            assert not row["action"], code
        if model == "Change":
            assert row["status"] in ("success", "failure"), code
            assert row["change_type"] == "AAA", code
            assert row["object_attrs"], code
            assert row["command"], code
            assert row["src_user"] == "unknown", code
            assert row["actor"] in ("user", "admin", "unknown"), code
            assert (row["object_category"] == "user") == (dataset == "Account_Management"), code
        else:
            assert not any(row[c] for c in ("status", "change_type", "object_category", "command")), code
        if model == "Authentication":
            assert row["actor"] in ("user", "client"), code
            assert (row["action"] == "success") == (row["outcome"] == "success"), code
        if model == "Alerts":
            assert row["severity"] in ("critical", "high", "medium", "low", "informational"), code
            assert row["alert_type"] in ("alarm", "alert", "event", "task", "warning"), code
        else:
            assert not any(row[c] for c in ("severity", "alert_type")), code
        if not model:
            assert not any(row[c] for c in ("actor", "authentication_method", "src_user")), code


def test_resource_lookup_ends_with_a_catch_all():
    rows = lookup_rows("auth0_management_api_resources.csv")
    assert rows[-1] == {"resource": "*", "object_category": "other"}
    resources = [row["resource"] for row in rows]
    assert len(resources) == len(set(resources))
    assert all("*" not in resource for resource in resources[:-1])


# --- eventtypes and tags ----------------------------------------------------------------------------------------


def test_every_eventtype_has_cim_tags_and_every_tag_stanza_an_eventtype():
    assert set(MODEL.eventtypes) == set(EVENTTYPES)
    for name in MODEL.eventtypes:
        tags = {tag for tag, state in MODEL.tags.get(f"eventtype={name}", {}).items() if state == "enabled"}
        assert tags, name
        assert tags <= CIM_TAGS, name
    for stanza in MODEL.tags:
        assert stanza.startswith("eventtype="), stanza
        assert stanza[len("eventtype=") :] in MODEL.eventtypes, stanza


def test_eventtype_tags_are_those_of_their_cim_dataset():
    index = {d.name: d for d in _all_datasets()}
    for name, (_model, dataset) in EVENTTYPES.items():
        tags = {tag for tag, state in MODEL.tags[f"eventtype={name}"].items() if state == "enabled"}
        assert any(group == tags for group in index[dataset].tags) or (
            dataset == "All_Changes" and tags == {"change"}
        ), (name, tags)


def _all_datasets():
    found = []

    def visit(dataset):
        found.append(dataset)
        for child in dataset.children:
            visit(child)

    for root in cim.datasets(DEFINITIONS):
        visit(root)
    return found


def test_eventtype_code_lists_equal_the_lookup():
    for name, dataset in (
        ("auth0_authentication", "Authentication"),
        ("auth0_change_account_management", "Account_Management"),
        ("auth0_change_all_changes", "All_Changes"),
        ("auth0_alerts", "Alerts"),
    ):
        codes = _in_list(MODEL.eventtypes[name]["search"])
        assert sorted(codes) == sorted(r["code"] for r in ROWS if r["cim_dataset"] == dataset), name


def test_no_code_is_listed_in_two_data_models():
    model_of_code = {}
    for name, (model, _dataset) in EVENTTYPES.items():
        for code in _in_list(MODEL.eventtypes[name]["search"]):
            assert model_of_code.setdefault(code, model) == model, code


def test_every_eventtype_is_narrowed_to_the_sourcetype():
    for name, stanza in MODEL.eventtypes.items():
        assert stanza["search"].startswith(f'sourcetype="{SOURCETYPE}" '), name


def test_required_cim_fields_of_every_tagged_eventtype_are_produced():
    produced = set(MODEL.produced_fields(SOURCETYPE))
    index = {d.name: d for d in _all_datasets()}
    for name, (model, dataset_name) in EVENTTYPES.items():
        dataset = index[dataset_name]
        needed = {f["name"] for f in dataset.all_fields() if f.get("type") == "required"}
        recommended = DEFINITIONS["recommended_fields"][model]
        needed |= set(recommended.get("BaseEvent", [])) | set(recommended.get(dataset_name, []))
        if dataset_name == "Privileged_Authentication" or model == "Change":
            needed.add("src_user")
        missing = sorted(needed - produced)
        assert missing == [], f"{name}: no FIELDALIAS/EVAL/LOOKUP produces {missing}"


def test_each_field_has_one_producer_except_designed_fallbacks():
    """A field set twice would depend on Splunk's ordering; the only pairs are an EVAL (or a path lookup) whose
    result the log type lookup's OUTPUTNEW defaults fill in when it is null."""
    defaults = LookupSpec(MODEL.props[SOURCETYPE]["LOOKUP-auth0_log_types_defaults"])
    assert defaults.mode == "OUTPUTNEW"
    fallback_fields = {target for _, target in defaults.outputs}
    for field, producers in MODEL.produced_fields(SOURCETYPE).items():
        if len(producers) == 1:
            continue
        assert field in fallback_fields, (field, producers)
        assert "LOOKUP-auth0_log_types_defaults" in producers, (field, producers)
        others = [p for p in producers if p != "LOOKUP-auth0_log_types_defaults"]
        assert len(others) == 1, (field, producers)
        assert others[0] in (f"EVAL-{field}", "LOOKUP-auth0_management_api_resources"), (field, producers)
        if others[0].startswith("LOOKUP-"):
            assert LookupSpec(MODEL.props[SOURCETYPE][others[0]]).mode == "OUTPUTNEW"
            assert all(not BY_CODE[c][field] for c in MGMT_CODES), "the path lookup must decide for API events"


# --- EVAL code lists agree with the lookup ----------------------------------------------------------------------


def test_management_api_code_lists_in_evals_equal_the_lookup():
    mgmt = sorted(r["code"] for r in ROWS if r["cim_dataset"] == "All_Changes")
    assert mgmt == sorted(MGMT_CODES)
    for name in ("action", "auth0_api_resource", "user", "src_user"):
        assert sorted(_eval_in_lists(name)[0]) == mgmt, name
    assert sorted(_in_list(MODEL.eventtypes["auth0_change_account_management"]["search"].split(" OR ", 1)[1])) == mgmt


def test_src_user_self_service_list_equals_lookup_actor_user():
    self_service = sorted(r["code"] for r in ROWS if r["cim_dataset"] == "Account_Management" and r["actor"] == "user")
    assert sorted(_eval_in_lists("src_user")[1]) == self_service


def test_client_credentials_lists_equal_lookup_actor_client():
    clients = sorted(r["code"] for r in ROWS if r["actor"] == "client")
    assert sorted(_eval_in_lists("src_user")[2]) == clients
    assert sorted(_eval_in_lists("user")[1]) == clients
    assert sorted(_in_list(MODEL.eventtypes["auth0_authentication_privileged"]["search"])) == clients


def test_user_resources_agree_between_lookup_eval_and_eventtype():
    user_resources = sorted(
        r["resource"] for r in lookup_rows("auth0_management_api_resources.csv") if r["object_category"] == "user"
    )
    assert user_resources == ["user-blocks", "users", "users-by-email"]
    assert "(users|users-by-email|user-blocks)" in _eval_expression("user")
    patterns = _in_list(MODEL.eventtypes["auth0_change_account_management"]["search"], "data.details.request.path")
    for row in lookup_rows("auth0_management_api_resources.csv")[:-1]:
        if row["resource"].startswith("/"):
            continue
        path = f"/api/v2/{row['resource']}/x"
        hit = any(spl_search.matches(f'p="{pattern}"', {"p": path}) for pattern in patterns)
        assert hit == (row["object_category"] == "user"), row["resource"]


# --- docs -------------------------------------------------------------------------------------------------------


def test_docs_table_is_in_sync_with_the_lookup():
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    assert render_doc(text, ROWS) == text, "run: python -m tools.knowledge.cim_table"
