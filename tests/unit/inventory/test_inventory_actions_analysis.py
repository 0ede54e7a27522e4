"""Actions read as code: the parser handles the syntax real Actions use, and the analysis finds user-writable data
deciding scopes, claims and roles (with the source and sink lines), through aliases, destructuring, helpers,
callbacks and awaits, and across Actions; template-like Actions that decide nothing from user data stay clean.

The fixtures in actions/ are written for these tests in the style of Auth0's public Action templates and of
tenants' own code (no third-party code is copied)."""

import os
import sys

import pytest

from ta_auth0 import actions_analysis
from ta_auth0.actions_analysis import (
    SINK_ACCESS_CLAIM,
    SINK_ADD_SCOPE,
    SINK_ID_CLAIM,
    SINK_ROLE,
    SINK_SET_APP_METADATA,
    ActionParseError,
    analyze_actions,
    parse_code,
)

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "actions")


def code(name):
    with open(os.path.join(HERE, name + ".js"), encoding="utf-8") as handle:
        return handle.read()


def analyse(*names, deployed=True):
    actions = []
    for name in names:
        action = {"id": name, "name": name, "code": "// draft, not deployed\n"}
        if deployed:
            action["deployed_version"] = {"code": code(name), "number": 3, "deployed": True}
        else:
            action["code"] = code(name)
        actions.append(action)
    return analyze_actions(actions)


def flows(report, sink=None):
    return [(f.sink, f.sink_line, f.flow, f.source.text, f.source.line) for f in report.flows if sink in (None, f.sink)]


# -- the parser -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "const r = event.user?.app_metadata?.roles;",
        "const x = event.user.user_metadata.role ?? 'user';",
        "api.accessToken?.addScope?.('admin');",
        "class A { x = 1; static y = 2; #p = 3; get p() { return this.#p; } static { init(); } }",
        "exports.onExecutePostLogin = async (event, api) => { await fetch(`https://x/${event.user.user_id}`); };",
        "const s = `a ${b} c ${d?.e ?? 'f'}`;",
        "const { user: { user_metadata: { role = 'x', ...rest } } } = event; const [a, , b] = arr;",
        "async function f() { for await (const x of y) {} }",
        "a ||= b; c &&= d; e ??= f;",
        "const n = 1_000_000n; try { a(); } catch { b(); }",
        "export const onExecutePostLogin = async (event, api) => {};",
        "const x = await import('x');",
    ],
)
def test_the_parser_reads_modern_javascript(source):
    tree = parse_code(source)
    assert tree["type"] == "Program"


def test_the_parser_is_the_pure_python_esprima2_fork():
    import esprima

    # esprima 4.0.1 (the original port) fails on optional chaining; esprima2 is the fork the add-on ships.
    assert os.path.basename(os.path.dirname(esprima.__file__)) == "esprima"
    assert parse_code("a?.b ?? c")["body"][0]["expression"]["operator"] == "??"
    assert not [p for p in os.listdir(os.path.dirname(esprima.__file__)) if p.endswith((".so", ".pyd", ".dll"))]


def test_a_syntax_error_names_its_line():
    with pytest.raises(ActionParseError) as raised:
        parse_code(code("broken"))
    assert raised.value.line == 2
    report = analyse("broken")["broken"]
    assert report.error
    assert "Unexpected token" in report.error
    assert report.error_line == 2
    assert report.flows == ()


def test_oversized_code_is_reported_not_parsed():
    report = analyze_actions([{"id": "big", "name": "big", "code": "//" + "x" * actions_analysis.MAX_CODE_CHARS}])
    assert "longer than" in report["big"].error


def test_missing_parser_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "esprima", None)
    with pytest.raises(ActionParseError, match=r"esprima2\) is not installed"):
        parse_code("var a = 1;")


def test_an_action_without_code_is_reported():
    assert analyze_actions([{"id": "x", "name": "x"}])["x"].error == "the Action has no code to analyse"


# -- template-like Actions: nothing decided from user data -----------------------------------------------------


@pytest.mark.parametrize(
    "name", ["template_add_roles", "template_deny_by_ip", "template_mfa_by_role", "template_m2m_scope"]
)
def test_templates_that_use_trusted_data_have_no_flow(name):
    report = analyse(name)[name]
    assert report.error is None
    assert report.handlers
    assert report.flows == ()


def test_a_preference_claim_in_the_id_token_is_a_flow_of_low_weight():
    report = analyse("template_user_metadata_profile_claim")["template_user_metadata_profile_claim"]
    assert {(f.sink, f.sink_line, f.claim) for f in report.flows} == {
        (SINK_ID_CLAIM, 4, "https://my-app.example.com/theme"),
        (SINK_ID_CLAIM, 6, "https://my-app.example.com/locale"),
    }


# -- tricky code --------------------------------------------------------------------------------------------------


def test_aliases_renamed_parameters_and_nested_destructuring_with_defaults_and_rest():
    report = analyse("tricky_alias_destructuring")["tricky_alias_destructuring"]
    assert sorted(flows(report)) == [
        (SINK_ADD_SCOPE, 7, "control", "event.user.user_metadata.preferences.role", 3),
        (SINK_ADD_SCOPE, 7, "control", "event.user.user_metadata.preferences.superuser", 6),
    ]


def test_helpers_awaits_loops_and_an_early_return_guard():
    report = analyse("tricky_helpers_await")["tricky_helpers_await"]
    by_via = {(f.flow, f.via): (f.sink, f.sink_line, f.source.text) for f in report.flows}
    # wanted scopes flow as data through the helper's loop; the admin scopes are granted after an early return
    # that a user_metadata flag decides
    assert by_via[("data", ("grant() at line 17",))] == (SINK_ADD_SCOPE, 10, "event.user.user_metadata.profile")
    assert by_via[("control", ("grant() at line 21",))] == (SINK_ADD_SCOPE, 10, "event.user.user_metadata.profile")


def test_claims_from_object_entries_callbacks_and_switch():
    report = analyse("tricky_claims_loop")["tricky_claims_loop"]
    assert sorted(flows(report)) == [
        (SINK_ACCESS_CLAIM, 4, "data", "event.user.user_metadata", 3),
        (SINK_ACCESS_CLAIM, 7, "data", "event.user.user_metadata.groups", 6),
        (SINK_ACCESS_CLAIM, 10, "control", "event.user.user_metadata.plan", 8),
    ]


def test_esm_exports_classes_ternaries_and_a_strong_update():
    report = analyse("tricky_esm_class")["tricky_esm_class"]
    # the ternary decides the "kind" claim; "level" is overwritten with a constant before it is used
    assert flows(report) == [(SINK_ACCESS_CLAIM, 11, "data", "event.user.user_metadata.department", 10)]
    assert report.handlers == ("onExecutePostLogin",)


def test_role_assignment_through_a_management_client():
    report = analyse("tricky_management_roles")["tricky_management_roles"]
    assert flows(report) == [(SINK_ROLE, 15, "data", "event.user.user_metadata.signup_role", 13)]
    assert report.flows[0].sink_text == "management.users.assignRoles"


def test_app_metadata_written_from_request_data_by_another_action_is_a_source():
    reports = analyse("cross_writer", "cross_reader")
    reader = reports["cross_reader"]
    assert flows(reader) == [(SINK_ADD_SCOPE, 4, "control", "event.user.app_metadata.tier", 2)]
    assert "written by Action 'cross_writer' (line 6)" in reader.flows[0].source.note
    assert "event.request.body.tier" in reader.flows[0].source.note
    # plan is read the same way but no Action writes it from user data
    assert all("plan" not in f.source.text for f in reader.flows)
    writer = reports["cross_writer"]
    assert sorted(flows(writer, SINK_SET_APP_METADATA)) == [
        (SINK_SET_APP_METADATA, 6, "data", "event.request.body.tier", 4),
        (SINK_SET_APP_METADATA, 8, "data", "event.request.query.ref", 8),
    ]


def test_app_metadata_alone_is_trusted():
    reports = analyse("cross_reader")
    assert reports["cross_reader"].flows == ()


def test_the_draft_is_analysed_when_nothing_is_deployed():
    report = analyse("tricky_management_roles", deployed=False)["tricky_management_roles"]
    assert [f.sink for f in report.flows] == [SINK_ROLE]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        # module.exports object with a shorthand-less property
        (
            "module.exports = { onExecutePostLogin: async (event, api) => {"
            " api.accessToken.addScope(event.user.user_metadata.s); } };",
            [(SINK_ADD_SCOPE, "data", "event.user.user_metadata.s")],
        ),
        # a function declared first, exported by name
        (
            "async function handler(event, api) { const m = event.user.user_metadata;"
            " m.admin && api.accessToken.addScope('admin'); }\nexports.onExecutePostLogin = handler;",
            [(SINK_ADD_SCOPE, "control", "event.user.user_metadata.admin")],
        ),
        # the sink itself taken out of api and called later
        (
            "exports.onExecutePostLogin = async (event, api) => { const add = api.accessToken.addScope;"
            " add(`role:${event.user.user_metadata.role}`); };",
            [(SINK_ADD_SCOPE, "data", "event.user.user_metadata.role")],
        ),
        # computed member with a user-chosen key
        (
            "const S = {a: 'x', b: 'y'}; exports.onExecutePostLogin = async (event, api) => {"
            " api.accessToken.addScope(S[event.user.user_metadata['tier']]); };",
            [(SINK_ADD_SCOPE, "data", "event.user.user_metadata.tier")],
        ),
        # the request query decides a claim through .then()
        (
            "exports.onExecutePostLogin = async (event, api) => { Promise.resolve(event.request.query.org)"
            ".then((org) => api.accessToken.setCustomClaim('org', org)); };",
            [(SINK_ACCESS_CLAIM, "data", "event.request.query.org")],
        ),
        # user metadata only logged: no flow
        (
            "exports.onExecutePostLogin = async (event, api) => { console.log(event.user.user_metadata);"
            " api.accessToken.addScope('read:profile'); };",
            [],
        ),
        # the user's own metadata written back to user_metadata: not a sink
        (
            "exports.onExecutePostLogin = async (event, api) => {"
            " api.user.setUserMetadata('seen', event.user.user_metadata.count + 1); };",
            [],
        ),
    ],
)
def test_small_shapes(snippet, expected):
    report = analyze_actions([{"id": "a", "name": "a", "code": snippet}])["a"]
    assert report.error is None
    assert [(f.sink, f.flow, f.source.text) for f in report.flows] == expected


def test_deep_recursion_in_the_code_is_reported_not_raised():
    deep = "exports.onExecutePostLogin = async (event, api) => { const x = " + "(" * 3000 + "1" + ")" * 3000 + "; };"
    report = analyze_actions([{"id": "d", "name": "d", "code": deep}])["d"]
    assert report.error is not None


def test_adversarial_code_stops_at_the_step_budget(monkeypatch):
    monkeypatch.setattr(actions_analysis, "MAX_STEPS", 500)
    loops = (
        "exports.onExecutePostLogin = async (event, api) => {" + "for (const a of b) {" * 12 + "x();" + "}" * 12 + "};"
    )
    report = analyze_actions([{"id": "l", "name": "l", "code": loops}])["l"]
    assert "stopped after 500 steps" in report.error


def test_a_deployed_copy_equal_to_the_draft_is_kept_once():
    from ta_auth0.inventory_collector import sanitize

    action = {
        "id": "a",
        "code": code("tricky_management_roles"),
        "deployed_version": {"code": code("tricky_management_roles"), "number": 1},
    }
    kept = sanitize("action", action, [])
    assert kept["deployed_version"] == {"number": 1, "code_equals_draft": True}
    report = analyze_actions([dict(kept, name="a")])["a"]
    assert [f.sink for f in report.flows] == [SINK_ROLE]
