"""Every EVAL in props.conf [auth0:logs], case by case: its value straight after the EVAL step (before the lookups
fill defaults), computed from the props.conf text by tools/knowledge/spl_eval.py."""

import json

import pytest

from tools.knowledge.searchtime import KnowledgeModel

MODEL = KnowledgeModel()
PATH = "/api/v2/users/auth0%7C42"


def _request(method=None, path=None, body=None, auth_user=None, query=None):
    request = {}
    if method:
        request["method"] = method
    if path:
        request["path"] = path
    if body is not None:
        request["body"] = body
    if auth_user is not None:
        request["auth"] = {"user": auth_user}
    if query:
        request["query"] = query
    return request


def _mgmt(method, path, body=None, response=None, code="sapi", **extra):
    details = {"request": _request(method, path, body)}
    if response is not None:
        details["response"] = {"statusCode": 200, "body": response}
    return {"type": code, "details": details, **extra}


CASES = {
    "user_id": [({"user_id": "auth0|1"}, "auth0|1"), ({"user_id": ""}, None), ({}, None)],
    "user_agent": [
        ({"user_agent": "Chrome 124.0.0 / Windows 10.0.0"}, "Chrome 124.0.0 / Windows 10.0.0"),
        ({"user_agent": ""}, None),
    ],
    "authentication_service": [({"connection": "google-oauth2"}, "google-oauth2"), ({"connection": ""}, None)],
    "description": [
        ({"description": "Wrong email or password."}, "Wrong email or password."),
        ({"description": ""}, None),
    ],
    "app": [
        ({"client_name": "Shop", "client_id": "c1"}, "Shop"),
        ({"client_name": "", "client_id": "c1"}, "c1"),
        ({}, "auth0"),
    ],
    "dest": [
        ({"hostname": "login.example.com", "tenant_name": "t"}, "login.example.com"),
        ({"hostname": "", "tenant_name": "t"}, "t"),
        ({}, "unknown"),
    ],
    "dvc": [
        ({"hostname": "login.example.com", "tenant_name": "t"}, "t"),
        ({"hostname": "login.example.com"}, "login.example.com"),
        ({}, "unknown"),
    ],
    "src": [
        ({"ip": "198.51.100.1", "client_ip": "203.0.113.9"}, "198.51.100.1"),
        ({"ip": "", "client_ip": "203.0.113.9"}, "203.0.113.9"),
        ({}, "unknown"),
    ],
    "reason": [
        (
            {"description": "Wrong email or password.", "details": {"error": {"message": "invalid_user_password"}}},
            "invalid_user_password",
        ),
        ({"description": "the connection is not enabled"}, "the connection is not enabled"),
        ({"description": ""}, None),
    ],
    "result": [
        ({"details": {"error": {"message": "Password is too weak"}}, "description": "x"}, "Password is too weak"),
        ({"details": {"response": {"statusCode": 201}}, "description": "Create a client"}, "201"),
        ({"description": "Successful signup"}, "Successful signup"),
        ({}, None),
    ],
    "authentication_method": [
        ({"strategy_type": "social"}, "social"),
        ({"strategy_type": ""}, None),
        ({}, None),
    ],
    "command": [
        (_mgmt("patch", "/api/v2/clients/abc"), "PATCH /api/v2/clients/abc"),
        ({"details": {"request": {"path": "/api/v2/clients"}}}, None),
        ({}, None),
    ],
    "object_attrs": [
        (_mgmt("patch", "/api/v2/clients/abc", {"grant_types": ["password"], "name": "x"}), "grant_types,name"),
        (_mgmt("patch", "/api/v2/clients/abc", {}), None),
        (_mgmt("put", "/api/v2/guardian/policies", []), None),
        (
            {"type": "mgmt_api_read", "details": {"accessedSecrets": ["client_secret", "signing_keys"]}},
            "client_secret,signing_keys",
        ),
        ({"type": "s"}, None),
    ],
    "object": [
        (_mgmt("patch", "/api/v2/clients/abc", response={"name": "Shop", "client_id": "abc"}), "Shop"),
        (_mgmt("post", "/oidc/register", response={"client_name": "Dyn", "client_id": "tpc_1"}), "Dyn"),
        (_mgmt("patch", PATH, response={"email": "e@example.com", "user_id": "auth0|42"}), "e@example.com"),
        (_mgmt("delete", PATH), "auth0|42"),
        ({"type": "sdu", "user_name": "u@example.com", "user_id": "auth0|1"}, "u@example.com"),
        ({"type": "sdu", "user_name": "", "user_id": "auth0|1"}, "auth0|1"),
        ({"type": "sscim", "user_id": "auth0|1", "details": {"request": {"path": "/scim/v2/Users/abc"}}}, "auth0|1"),
    ],
    "object_id": [
        (_mgmt("patch", "/api/v2/client-grants/cgr_1", response={"id": "cgr_1", "client_id": "abc"}), "cgr_1"),
        (_mgmt("post", "/api/v2/clients", response={"client_id": "abc", "name": "Shop"}), "abc"),
        (_mgmt("post", "/api/v2/users", response={"user_id": "auth0|9", "email": "n@example.com"}), "auth0|9"),
        (_mgmt("delete", PATH), "auth0|42"),
        (
            {
                "type": "sapi",
                "details": {
                    "request": _request("delete", "/api/v2/user-blocks", query={"identifier": "m@example.com"})
                },
            },
            "m@example.com",
        ),
        ({"type": "ss", "user_id": "auth0|1", "user_name": "u@example.com"}, "auth0|1"),
        ({"type": "fs", "user_name": "u@example.com"}, "u@example.com"),
    ],
    "action": [
        (_mgmt("get", "/api/v2/clients/abc", code="mgmt_api_read"), "read"),
        (_mgmt("put", "/api/v2/guardian/policies"), "updated"),
        (_mgmt("post", "/api/v2/clients"), "created"),
        (_mgmt("post", "/oidc/register"), "created"),
        (_mgmt("post", "/api/v2/clients/abc/rotate-secret"), "modified"),
        (_mgmt("delete", "/api/v2/clients/abc"), "deleted"),
        (_mgmt("delete", "/api/v2/users/auth0%7C42/authenticators"), "modified"),
        (_mgmt("delete", "/api/v2/user-blocks/auth0%7C42"), "modified"),
        (_mgmt("patch", "/api/v2/clients/abc", code="fapi"), "modified"),
        ({"type": "sapi"}, None),  # no request: the lookup's default applies
        ({"type": "gd_auth_failed", "details": {"request": _request("post", "/api/v2/clients")}}, None),
    ],
    "auth0_api_resource": [
        (_mgmt("patch", "/api/v2/client-grants/cgr_1"), "client-grants"),
        (_mgmt("get", "/api/v2/clients", code="mgmt_api_read"), "clients"),
        (_mgmt("post", "/oidc/register"), "/oidc/register"),
        ({"type": "fapi"}, "unknown"),
        ({"type": "api_limit", "details": {"request": _request("get", "/api/v2/users")}}, None),
    ],
    "user": [
        (_mgmt("patch", PATH, response={"email": "e@example.com", "user_id": "auth0|42"}), "e@example.com"),
        (_mgmt("delete", PATH), "auth0|42"),
        (
            {
                "type": "sapi",
                "details": {
                    "request": _request("delete", "/api/v2/user-blocks", query={"identifier": "m@example.com"})
                },
            },
            "m@example.com",
        ),
        ({"type": "sapi", "details": {"request": _request("delete", "/api/v2/user-blocks")}}, "unknown"),
        (
            {
                "type": "sapi",
                "user_id": "github|1",
                "details": {
                    "request": _request(
                        "patch", "/api/v2/clients/a", auth_user={"email": "ad@example.com", "name": "Ad"}
                    )
                },
            },
            "ad@example.com",
        ),
        (
            {
                "type": "sapi",
                "user_id": "m2m1@clients",
                "details": {"request": _request("post", "/api/v2/clients", auth_user={})},
            },
            "m2m1@clients",
        ),
        ({"type": "s", "user_name": "jane@example.com", "user_id": "auth0|1"}, "jane@example.com"),
        ({"type": "s", "user_name": "", "user_id": "auth0|1"}, "auth0|1"),
        ({"type": "seccft", "user_name": "", "user_id": "", "client_id": "cid"}, "cid@clients"),
        ({"type": "f", "client_id": "cid"}, "unknown"),
    ],
    "src_user": [
        (
            {
                "type": "sapi",
                "user_id": "github|1",
                "details": {"request": _request("patch", PATH, auth_user={"email": "ad@example.com"})},
            },
            "ad@example.com",
        ),
        (
            {
                "type": "sapi",
                "user_id": "github|1",
                "details": {"request": _request("patch", PATH, auth_user={"name": "Ad"})},
            },
            "Ad",
        ),
        (
            {"type": "sapi", "user_id": "m2m1@clients", "details": {"request": _request("delete", PATH, auth_user={})}},
            "m2m1@clients",
        ),
        ({"type": "sapi", "user_id": ""}, None),  # Dynamic Client Registration: the lookup's "unknown"
        ({"type": "ss", "user_name": "new@example.com", "user_id": "auth0|1"}, "new@example.com"),
        ({"type": "scpr", "user_name": "", "user_id": "auth0|1"}, "auth0|1"),
        ({"type": "sdu", "user_name": "gone@example.com", "user_id": "auth0|1"}, None),  # actor not logged
        ({"type": "seccft", "client_id": "cid"}, "cid@clients"),
        ({"type": "s", "user_name": "jane@example.com"}, None),
    ],
}


def _eval_fields(log):
    raw = json.dumps({"log_id": "90020260101000000000000000000000000000000000000000000001", "data": log})
    return MODEL.fields(raw, "auth0:logs", stop_after="eval")


def test_every_eval_has_cases():
    assert set(CASES) == set(MODEL.compiled_evals("auth0:logs"))


@pytest.mark.parametrize(
    ("field", "log", "expected"),
    [(field, log, expected) for field, cases in CASES.items() for log, expected in cases],
    ids=[f"{field}-{index}" for field, cases in CASES.items() for index in range(len(cases))],
)
def test_eval(field, log, expected):
    assert _eval_fields(log).get(field) == expected
