"""The offline model of Splunk search-time processing behaves as Splunk documents, for the constructs it models."""

import pytest

from tools.knowledge import spl_eval, spl_search
from tools.knowledge.searchtime import KnowledgeModel, LookupSpec, flatten_json, parse_fieldalias, parse_json_raw


def test_json_flattening_like_kv_mode_json():
    raw = (
        '{"log_id":"1","data":{"type":"s","n":201,"ok":true,"none":null,"e":"",'
        '"scope":["openid","profile"],"d":{"p":[{"x":"a"},{"x":"b"}]},"o":{}}}'
    )
    fields = flatten_json(parse_json_raw(raw))
    assert fields["log_id"] == "1"
    assert fields["data.type"] == "s"
    assert fields["data.n"] == "201"
    assert fields["data.ok"] == "true"
    assert "data.none" not in fields
    assert fields["data.e"] == ""
    assert fields["data.scope{}"] == ["openid", "profile"]
    assert fields["data.d.p{}.x"] == ["a", "b"]
    assert not any(name == "data.o" or name.startswith("data.o.") for name in fields)
    assert "data.e" not in flatten_json(parse_json_raw(raw), keep_empty=False)


@pytest.mark.parametrize(
    ("expression", "fields", "expected"),
    [
        ('coalesce(a, b, "z")', {"b": "2"}, "2"),
        ('coalesce(nullif(a, ""), "z")', {"a": ""}, "z"),
        ('a . "-" . b', {"a": "x"}, None),  # null operand: null
        ('if(a == "x", "yes", "no")', {}, "no"),  # null condition is false
        ('case(a == "1", "one", a == "2", "two")', {"a": "3"}, None),
        ('in(a, "x", "y")', {"a": "y"}, True),
        ('in(a, "x", "y")', {}, None),
        ('tag == "account"', {"tag": ["change", "account"]}, True),  # any value
        ('tag != "account"', {"tag": ["change", "account"]}, False),  # no value
        ('split("/api/v2/x", "/")', {}, ["", "api", "v2", "x"]),  # empty values kept
        ('mvindex(split("a,b,c", ","), -1)', {}, "c"),
        ('mvindex(split("a,b", ","), 5)', {}, None),
        ('replace("/api/v2/users/x%7C1", "^/api/v2/[^/]+/([^/]+).*$", "\\1")', {}, "x%7C1"),
        ('urldecode("auth0%7C1")', {}, "auth0|1"),
        ('match(a, "^/api/v2/")', {"a": "/api/v2/clients"}, True),
        ('like(a, "/api/v2/%")', {"a": "/api/v2/clients"}, True),
        ('json_keys(json_extract(_raw, "d.b"))', {"_raw": '{"d":{"b":{"k1":1,"k2":[2]}}}'}, '["k1","k2"]'),
        ('json_extract(_raw, "d.missing")', {"_raw": '{"d":{}}'}, None),
        ('mvjoin(a, ",")', {"a": ["x", "y"]}, "x,y"),
        ('upper(a) . " " . b', {"a": "post", "b": "/p"}, "POST /p"),
        ('NOT match(a, "x") AND isnotnull(a)', {"a": "y"}, True),
        ("a in ['success', 'failure']", {"a": "failure"}, True),
        ("isnum(a) and a>0", {"a": "12"}, True),
    ],
)
def test_eval_semantics(expression, fields, expected):
    assert spl_eval.evaluate(expression, fields) == expected


def test_eval_refuses_what_it_does_not_model():
    with pytest.raises(spl_eval.EvalError):
        spl_eval.evaluate("sha256(a)", {"a": "x"})
    with pytest.raises(spl_eval.EvalError):
        spl_eval.evaluate("lower(a)", {"a": ["x", "y"]})


@pytest.mark.parametrize(
    ("search", "fields", "expected"),
    [
        ('sourcetype="auth0:logs" data.type IN ("s", "f")', {"sourcetype": "auth0:logs", "data.type": "f"}, True),
        ('data.type IN ("s", "f")', {"data.type": "fp"}, False),
        ('data.details.request.path IN ("/api/v2/users*")', {"data.details.request.path": "/api/v2/users/1"}, True),
        ('data.audience="*/api/v2/"', {"data.audience": "https://t.us.auth0.com/api/v2/"}, True),
        ("x=ABC", {"x": "abc"}, True),  # values are case-insensitive
        ("x!=1", {}, False),  # a missing field never matches, not even !=
        (
            "tag=authentication NOT (action=success user=*$)",
            {"tag": "authentication", "action": "success", "user": "h$"},
            False,
        ),
        (
            "tag=authentication NOT (action=success user=*$)",
            {"tag": "authentication", "action": "success", "user": "bob"},
            True,
        ),
        ("a=1 OR b=2", {"b": "2"}, True),
        # OR binds tighter than the implied AND: a=1 AND (b=2 OR c=3)
        ("a=1 b=2 OR c=3", {"a": "1", "c": "3"}, True),
        ("a=1 b=2 OR c=3", {"c": "3"}, False),
        ("a=1 AND b=2 OR c=3", {"c": "3"}, False),
        ("(`m` b=2)", {"a": "1", "b": "2"}, True),
    ],
)
def test_search_semantics(search, fields, expected):
    assert spl_search.matches(search, fields, {"m": "a=1"}) is expected


def test_search_refuses_bare_terms():
    with pytest.raises(spl_search.SearchError):
        spl_search.matches("error", {})


def test_fieldalias_and_lookup_parsing():
    assert parse_fieldalias("a AS b c ASNEW d") == [("a", "AS", "b"), ("c", "ASNEW", "d")]
    spec = LookupSpec("t code AS data.type OUTPUTNEW action x AS y")
    assert (spec.transform, spec.mode, spec.inputs, spec.outputs) == (
        "t",
        "OUTPUTNEW",
        [("code", "data.type")],
        [("action", "action"), ("x", "y")],
    )


def _model_with(tmp_path, props_extra, csv_rows):
    default = tmp_path / "default"
    lookups = tmp_path / "lookups"
    default.mkdir()
    lookups.mkdir()
    (default / "props.conf").write_text("[st]\nKV_MODE = json\n" + props_extra)
    (default / "transforms.conf").write_text("[t]\nfilename = t.csv\nmax_matches = 1\n")
    (default / "eventtypes.conf").write_text("[et]\nsearch = sourcetype=st k=v\n")
    (default / "tags.conf").write_text("[eventtype=et]\nmytag = enabled\n")
    (default / "macros.conf").write_text("")
    (lookups / "t.csv").write_text("code,out,other\n" + "\n".join(csv_rows) + "\n")
    return KnowledgeModel(str(tmp_path))


def test_pipeline_order_and_overwrite_rules(tmp_path):
    props = (
        "FIELDALIAS-a = missing AS k2 src AS k3\n"
        "FIELDALIAS-b = src ASNEW keep\n"
        'EVAL-e1 = k3 . "!"\n'
        "EVAL-e2 = e1\n"  # EVALs run in parallel: e1 is not visible here
        'EVAL-out = if(code == "2", "from-eval", null())\n'
        "LOOKUP-l1 = t code OUTPUT other\n"
        "LOOKUP-l2 = t code OUTPUTNEW out\n"
    )
    model = _model_with(tmp_path, props, ["1,from-lookup,o1", "2,from-lookup,"])
    one = model.fields('{"k2":"old","src":"s","keep":"kept","code":"1","k":"v"}', "st")
    assert "k2" not in one  # AS removes the alias when the original is missing
    assert one["k3"] == "s"
    assert one["keep"] == "kept"  # ASNEW never overwrites
    assert one["e1"] == "s!"
    assert "e2" not in one
    assert one["out"] == "from-lookup"
    assert one["other"] == "o1"
    assert one["eventtype"] == "et"
    assert one["tag"] == "mytag"
    two = model.fields('{"code":"2","other":"x"}', "st")
    assert two["out"] == "from-eval"  # OUTPUTNEW keeps the EVAL's value
    assert "other" not in two  # OUTPUT of an empty cell removes the field
    three = model.fields('{"code":"3","other":"x"}', "st")
    assert "other" not in three  # no matching row clears OUTPUT fields
    assert "out" not in model.fields('{"other":"x"}', "st")  # no match field: no lookup


def test_rename_uses_only_the_target_sourcetype_settings(tmp_path):
    model = _model_with(tmp_path, 'EVAL-x = "target"\n[old]\nrename = st\n', ["1,a,b"])
    fields = model.fields('{"k":"v"}', "old")
    assert fields["sourcetype"] == "st"
    assert fields["_sourcetype"] == "old"
    assert fields["x"] == "target"
    assert fields["eventtype"] == "et"
