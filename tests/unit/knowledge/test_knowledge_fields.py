"""Search-time fields of sample events, computed as Splunk would from the shipped confs, judged by the CIM
definitions pytest-splunk-addon ships: every required and recommended field present with an allowed value, one
data model per event, and identical fields for a pulled event and its streamed twin."""

import pytest
from knowledge_samples import (
    ADMIN,
    MANAGEMENT_CASES,
    SHAPES,
    SIBLINGS,
    TENANT,
    constructed_log,
    pulled,
    shared_samples,
    streamed,
)

from tools.knowledge import cim
from tools.knowledge.searchtime import KnowledgeModel, lookup_rows, tags_of

MODEL = KnowledgeModel()
DEFINITIONS = cim.load_definitions()
ROWS = {row["code"]: row for row in lookup_rows()}
MAPPED = sorted(code for code, row in ROWS.items() if row["cim_dataset"])
UNMAPPED = sorted(code for code, row in ROWS.items() if not row["cim_dataset"])
#: Fields that legitimately differ between a pulled event and its streamed twin.
TRANSPORT_FIELDS = {"_raw", "_sourcetype", "source", "host"}


def _fields(event, keep_empty=True):
    raw, sourcetype, source, host = event
    return MODEL.fields(raw, sourcetype, source, host, keep_empty=keep_empty)


def _assert_compliant(fields, expected_model):
    assert cim.models_of(fields, DEFINITIONS) == ([expected_model] if expected_model else [])
    assert cim.problems(fields, DEFINITIONS) == []


# --- one event per mapped log type, built from Auth0's documented shape -----------------------------------------


def test_every_mapped_code_has_a_documented_shape():
    assert [code for code in MAPPED if SIBLINGS.get(code, code) not in SHAPES] == []


@pytest.mark.parametrize("keep_empty", [True, False], ids=["empty-values-kept", "empty-values-dropped"])
@pytest.mark.parametrize("code", MAPPED)
def test_mapped_log_type_yields_its_cim_fields(code, keep_empty):
    row = ROWS[code]
    fields = _fields(pulled(constructed_log(code, row)), keep_empty)
    _assert_compliant(fields, row["cim_datamodel"])
    assert fields["signature_id"] == code
    assert fields["signature"] == row["description"]
    assert fields["vendor_product"] == "Auth0"
    if row["cim_datamodel"] == "Authentication":
        assert fields["action"] == row["action"]
    if row["cim_dataset"] == "Account_Management":
        assert fields["action"] == row["action"]
        assert fields["object_category"] == "user"
        assert set(tags_of(fields)) == {"change", "account"}
        expected_actor = fields["user"] if row["actor"] == "user" else "unknown"
        assert fields["src_user"] == expected_actor
    if row["cim_datamodel"] == "Alerts":
        assert (fields["severity"], fields["type"]) == (row["severity"], row["alert_type"])


@pytest.mark.parametrize("code", UNMAPPED)
def test_unmapped_log_type_gets_no_cim_tags(code):
    row = ROWS[code]
    log = (
        constructed_log(code, row)
        if SIBLINGS.get(code, code) in SHAPES
        else {
            "date": "2026-05-04T09:12:33.418Z",
            "type": code,
            "description": "x",
            "log_id": "9001",
            "tenant_name": TENANT,
        }
    )
    fields = _fields(pulled(log))
    assert "tag" not in fields
    assert "eventtype" not in fields
    assert fields["signature"] == row["description"]
    assert fields["auth0_outcome"] == row["outcome"]


def test_every_dataset_is_exercised():
    seen = set()
    events = [pulled(constructed_log(code, ROWS[code])) for code in MAPPED]
    events += [pulled(log) for _, log, _, _ in MANAGEMENT_CASES]
    for event in events:
        seen |= {(d.model, d.name) for d in cim.matched_datasets(_fields(event), DEFINITIONS)}
    assert seen >= {
        ("Authentication", "Authentication"),
        ("Authentication", "Successful_Authentication"),
        ("Authentication", "Failed_Authentication"),
        ("Authentication", "Privileged_Authentication"),
        ("Change", "All_Changes"),
        ("Change", "Account_Management"),
        ("Change", "Accounts_Created"),
        ("Change", "Accounts_Deleted"),
        ("Change", "Accounts_Updated"),
        ("Change", "Auditing_Changes"),
        ("Alerts", "Alerts"),
    }


# --- Management API events: the path decides ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "log", "expected", "tags"), MANAGEMENT_CASES, ids=[c[0] for c in MANAGEMENT_CASES])
def test_management_api_event(name, log, expected, tags):
    fields = _fields(pulled(log))
    _assert_compliant(fields, "Change")
    assert sorted(tags_of(fields)) == sorted(tags)
    assert {key: fields.get(key) for key in expected} == expected


# --- the shared reference samples ---------------------------------------------------------------------------------

SHARED = shared_samples()
#: Values a reviewer checked by hand against each shared sample.
SHARED_EXPECTED = {
    "s": {
        "action": "success",
        "user": "jdoe@example.com",
        "src": "192.168.1.1",
        "dest": "auth.example.com",
        "app": "XYZ",
    },
    "f": {"action": "failure", "reason": "the connection is not enabled", "user": "unknown", "src": "81.2.69.143"},
    "fp": {"action": "failure", "user": "test@test.com", "reason": "Wrong email or password."},
    "sapi": {
        "action": "created",
        "object_id": "tpc_8SXWY6j3afl2CP5ntwEOpMdPxxy49Gt2",
        "object": "My Dynamic Application",
        "object_category": "application",
        "command": "POST /oidc/register",
        "src_user": "unknown",
        "user": "unknown",
        "dest": "example-tenant",
    },
    "mgmt_api_read": {
        "action": "read",
        "src_user": "user.mcuserface@company.com",
        "user": "user.mcuserface@company.com",
        "object_id": "MWNhMmRiOGY5MGIxNjE0ZTVmMjc0NDhl",
        "object_attrs": "client_secret",
        "object_category": "application",
        "command": "GET /api/v2/clients/MWNhMmRiOGY5MGIxNjE0ZTVmMjc0NDhl",
        "status": "success",
        "dest": "dev-fulaoenaspapatoulp",
    },
    "seccft": {
        "action": "success",
        "user": "q1Xw9EXAMPLEapiExplorerClientId0@clients",
        "src_user": "q1Xw9EXAMPLEapiExplorerClientId0@clients",
        "app": "API Explorer Application",
        "authentication_method": "client_credentials",
        "tag": ["authentication", "privileged"],
    },
    "fcoa": {"action": "failure", "user": "victim@example.com", "src": "198.51.100.23"},
    "limit_wc": {"severity": "high", "type": "alert", "user": "dhruv@ncaatinaction.com", "src": "49.23.45.198"},
    "seacft": {"action": "success", "user": "dev@test.com", "authentication_method": "authorization_code"},
}


@pytest.mark.skipif(not SHARED, reason="shared/reference/data not found beside the repository")
@pytest.mark.parametrize(
    ("name", "log", "fmt"), SHARED, ids=[s[0].split(":")[0] + ":" + s[0].split(":")[1] for s in SHARED]
)
def test_shared_sample(name, log, fmt):
    code = log["type"]
    event = streamed(log) if fmt != "api" else pulled(log)
    fields = _fields(event)
    _assert_compliant(fields, ROWS[code]["cim_datamodel"])
    expected = SHARED_EXPECTED.get(code, {}) if fmt in ("api", "stream") else {}
    assert {key: fields.get(key) for key in expected} == expected


# --- pulled and streamed events produce identical fields -----------------------------------------------------------


def _identity_logs():
    logs = [(f"constructed:{code}", constructed_log(code, ROWS[code])) for code in MAPPED]
    logs += [(f"management:{name}", log) for name, log, _, _ in MANAGEMENT_CASES]
    logs += [(f"shared:{name}", log) for name, log, _ in SHARED]
    return logs


@pytest.mark.parametrize("sourcetype", ["auth0", "auth0_logs"])
@pytest.mark.parametrize(("name", "log"), _identity_logs(), ids=[n for n, _ in _identity_logs()])
def test_streamed_and_pulled_events_have_identical_fields(name, log, sourcetype):
    pulled_fields = _fields(pulled(log))
    streamed_fields = _fields(streamed(log, sourcetype))
    assert streamed_fields["sourcetype"] == "auth0:logs"
    assert streamed_fields["_sourcetype"] == sourcetype
    strip = lambda fields: {k: v for k, v in fields.items() if k not in TRANSPORT_FIELDS}  # noqa: E731
    assert strip(streamed_fields) == strip(pulled_fields)


def test_no_field_the_add_on_produces_is_empty_or_a_dash():
    """pytest-splunk-addon's negative field test: a produced field is absent or has a real value."""
    produced = set(MODEL.produced_fields("auth0:logs"))
    for name, log in _identity_logs():
        fields = _fields(pulled(log))
        bad = {f: fields[f] for f in produced & set(fields) if fields[f] in ("", "-")}
        assert bad == {}, name


def test_admin_identity_fields_for_detections():
    """The fields detections key on: the administrator, the object changed, the secret read."""
    fields = _fields(pulled(MANAGEMENT_CASES[0][1]))
    assert fields["src_user"] == ADMIN["email"]
    assert fields["user_id"] == ADMIN["user_id"]
    assert fields["data.details.request.channel"] == "https://manage.auth0.com/"
