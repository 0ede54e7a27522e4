"""What auth0watchlist means: options, watchlist rows, expiry, duplicates and which field matches."""

import random

import pytest
import watchlist_helpers as h

from ta_auth0 import scp, watchlist
from ta_auth0.watchlist import (
    DEFAULT_FIELDS,
    Entry,
    Options,
    Watchlist,
    build_watchlist,
    match_columns,
    match_record,
    parse_entry,
    parse_options,
    parse_time,
)

NOW = parse_time("2026-06-01T00:00:00Z")


def _watchlist(rows=None, options=None, now=NOW):
    rows = h.watchlist_rows() if rows is None else rows
    found, warnings = build_watchlist(rows, Options() if options is None else options, now)
    return found, warnings


# --- options -------------------------------------------------------------------------------------------------------


def test_defaults_without_options():
    options, errors = parse_options([])
    assert errors == []
    assert options == Options(DEFAULT_FIELDS, None, None, "annotate", False)


def test_every_option():
    options, errors = parse_options(
        ['fields="data.client_id, data.details.response.body.client_id"', "category=critical,API_Explorer",
         "tenant=acme.us.auth0.com", "mode=FILTER"]
    )  # fmt: skip
    assert errors == []
    assert options.fields == ("data.client_id", "data.details.response.body.client_id")
    assert options.categories == {"critical", "api_explorer"}
    assert options.tenant == "acme.us.auth0.com"
    assert options.mode == "filter"
    assert options.fields_given


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["bogus=1"], "unknown option 'bogus'"),
        (["data.client_id"], "'data.client_id' is not an option"),
        (["mode=annotate", "mode=filter"], "option 'mode' is given twice"),
        (["mode=drop"], "mode=drop is not a mode"),
        (["category=critcal"], "names 'critcal': use one or more of critical, api_explorer"),
        (["category="], "names nothing"),
        (['fields=" , "'], "fields= names no field"),
        (["tenant= "], "tenant= is empty"),
    ],
)
def test_wrong_options_are_named(args, expected):
    _, errors = parse_options(args)
    assert len(errors) == 1
    assert expected in errors[0]


def test_duplicate_fields_keep_their_first_position():
    options, _ = parse_options(["fields=a,b,a,c"])
    assert options.fields == ("a", "b", "c")


# --- times and rows ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None), ("", None), ("  ", None),
        (1767225600, 1767225600.0), ("1767225600.5", 1767225600.5),
        ("2026-01-01", 1767225600.0), ("2026-01-01T00:00:00Z", 1767225600.0),
        ("2026-01-01T01:00:00+01:00", 1767225600.0), ("2026-01-01T00:00:00", 1767225600.0),
        ("2026-01-01 00:00:00.000z", 1767225600.0),
    ],
)  # fmt: skip
def test_parse_time(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01", True, [1], "nan", "inf"])
def test_parse_time_rejects(value):
    with pytest.raises(ValueError):  # noqa: PT011 (the message is what build_watchlist shows)
        parse_time(value)


def test_parse_entry_normalises():
    entry = parse_entry({"client_id": f"  {h.M2M}@clients ", "category": " Privileged_M2M ", "label": ["a", "b"]})
    assert entry.client_id == h.M2M
    assert entry.category == "privileged_m2m"
    assert entry.label == "a, b"
    assert entry.source == "manual"
    assert parse_entry({"client_id": "x"}).category == "custom"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["not", "a", "document"], "JSON list, not an object"),
        ({"category": "critical"}, "no client_id"),
        ({"client_id": True}, "no client_id"),
        ({"client_id": ["a", "b"]}, "no client_id"),
        ({"client_id": "a b"}, "spaces, commas or quotes"),
        ({"client_id": "a,b"}, "spaces, commas or quotes"),
        ({"client_id": "abc", "category": "crit"}, "category 'crit' is not one of"),
        ({"client_id": "abc", "expires_at": "soon"}, "expires_at 'soon' is not an epoch or ISO 8601 time"),
    ],
)
def test_parse_entry_rejects(row, problem):
    with pytest.raises(ValueError, match=problem):
        parse_entry(row)


def test_a_numeric_client_id_is_text():
    assert parse_entry({"client_id": 12345}).client_id == "12345"


def test_a_bad_added_at_does_not_drop_the_entry():
    assert parse_entry({"client_id": "abc", "added_at": "last week"}).added_at is None


def test_build_ignores_expired_rows_with_a_warning():
    found, warnings = _watchlist()
    assert set(found.entries) == {h.CRITICAL, h.EXPLORER, h.M2M, h.DCR}
    assert len(warnings) == 1
    assert "1 watchlist entry has expired and is ignored" in warnings[0]
    assert h.EXPIRED in warnings[0]
    assert "2025-06-30T00:00:00Z" in warnings[0]


def test_expiry_is_judged_at_the_search_time():
    found, warnings = _watchlist(now=parse_time("2025-06-29"))
    assert h.EXPIRED in found.entries
    assert warnings == []


def test_build_reports_malformed_rows_and_keeps_the_valid_ones():
    rows = [*h.watchlist_rows(), {"_key": "bad1", "client_id": ""}, "junk", {"_key": "bad2", "client_id": "x y"},
            {"client_id": "zz", "category": "vip"},
            {"_key": "bad3", "client_id": "q", "expires_at": "never"}]  # fmt: skip
    found, warnings = _watchlist(rows)
    assert len(found) == 4
    malformed = next(w for w in warnings if "malformed" in w)
    assert "5 watchlist row(s) in auth0_client_watchlist are malformed and were ignored" in malformed
    assert "row _key=bad1: it has no client_id" in malformed
    assert "row 7: it is a JSON str, not an object" in malformed
    assert malformed.endswith("; ....")  # three examples, then an ellipsis


def test_duplicates_prefer_manual_then_newest():
    rows = [
        {"_key": "a", "client_id": "dup", "category": "critical", "source": "inventory", "added_at": "2026-03-01"},
        {"_key": "b", "client_id": "dup", "category": "custom", "source": "manual", "added_at": "2026-01-01"},
        {"_key": "c", "client_id": "dup", "category": "dcr", "source": "manual", "added_at": "2026-02-01"},
        {
            "_key": "d",
            "client_id": "dup",
            "category": "privileged_m2m",
            "source": "inventory",
            "added_at": "2026-04-01",
        },
    ]
    found, warnings = _watchlist(rows)
    assert found.entries["dup"].key == "c"
    assert warnings == [
        "auth0watchlist: 1 client id(s) are on the watchlist more than once: dup (4 rows). Each matches through one "
        "row: a manual row before an inventory row, then the most recently added."
    ]


def test_category_and_tenant_narrow_the_watchlist():
    found, _ = _watchlist(options=parse_options(["category=critical,dcr"])[0])
    assert set(found.entries) == {h.CRITICAL, h.DCR}
    found, _ = _watchlist(options=parse_options(["tenant=ACME.us.auth0.com"])[0])
    assert set(found.entries) == {h.CRITICAL, h.EXPLORER, h.DCR}  # the DCR row has no tenant: every tenant


def test_an_empty_watchlist_is_a_warning_not_a_silent_no():
    found, warnings = _watchlist(options=parse_options(["category=critical", "tenant=beta.eu.auth0.com"])[0])
    assert len(found) == 0
    assert warnings[-1] == (
        "auth0watchlist: no watchlist entry applies (5 row(s) in auth0_client_watchlist, category=critical "
        "tenant=beta.eu.auth0.com): every record gets watchlist_match=false."
    )
    assert "no watchlist entry applies (0 row(s)" in _watchlist([])[1][0]


# --- matching ------------------------------------------------------------------------------------------------------

FOUND, _ = build_watchlist(h.watchlist_rows(), Options(), NOW)


@pytest.mark.parametrize(
    ("record", "field", "client_id"),
    [
        ({"data.details.response.body.client_id": h.CRITICAL}, "data.details.response.body.client_id", h.CRITICAL),
        ({"data.details.request.body.client_id": h.M2M}, "data.details.request.body.client_id", h.M2M),
        ({"data.details.request.path": f"/api/v2/clients/{h.CRITICAL}"}, "data.details.request.path", h.CRITICAL),
        ({"data.details.request.path": f"/api/v2/clients/{h.DCR}/rotate-secret"}, "data.details.request.path", h.DCR),
        ({"data.details.request.path": f"/api/v2/clients/{h.EXPLORER}?fields=name"}, "data.details.request.path",
         h.EXPLORER),
        ({"data.details.response.body{}.client_id": [h.OTHER, h.M2M]}, "data.details.response.body{}.client_id", h.M2M),
        ({"data.details.request.query.client_id": h.DCR}, "data.details.request.query.client_id", h.DCR),
        ({"data.client_id": h.EXPLORER}, "data.client_id", h.EXPLORER),
        ({"data.details.qs.client_id": h.CRITICAL}, "data.details.qs.client_id", h.CRITICAL),
        ({"data.details.body.client_id": h.CRITICAL}, "data.details.body.client_id", h.CRITICAL),
        ({"data.user_id": f"{h.M2M}@clients"}, "data.user_id", h.M2M),
    ],
)  # fmt: skip
def test_every_default_field_matches(record, field, client_id):
    hit = match_record(record, DEFAULT_FIELDS, FOUND)
    assert hit is not None
    assert (hit.field, hit.entry.client_id) == (field, client_id)


def test_the_object_of_an_event_wins_over_its_caller():
    # a Management API call by the M2M app that reads the critical app: report what was read
    record = {"data.client_id": h.M2M, "data.user_id": f"{h.M2M}@clients",
              "data.details.response.body.client_id": h.CRITICAL}  # fmt: skip
    hit = match_record(record, DEFAULT_FIELDS, FOUND)
    assert hit.values() == ("true", "critical", "Payments API client", "holds the payment provider's secret",
                            "data.details.response.body.client_id", h.CRITICAL)  # fmt: skip
    # fields= chooses the order
    assert match_record(record, ("data.client_id", "data.details.response.body.client_id"), FOUND).entry.client_id == (
        h.M2M
    )


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"data.client_id": h.DASHBOARD},
        {"data.client_id": h.EXPIRED},
        {"data.client_id": h.CRITICAL.lower()},  # client ids are case-sensitive
        {"data.client_id": f" {h.CRITICAL}"},
        {"data.client_id": f"{h.CRITICAL}\n{h.OTHER}"},  # one value holding a newline is not two values
        {"data.description": h.CRITICAL},  # not a watched field
        {"data.details.request.path": f"/api/v2/client-grants/{h.CRITICAL}"},
        {"data.user_id": f"auth0|{h.CRITICAL}"},
        {"data.client_id": None},
        {"data.client_id": []},
    ],
)
def test_no_match(record):
    assert match_record(record, DEFAULT_FIELDS, FOUND) is None


def test_non_text_values_are_compared_as_text():
    found, _ = build_watchlist([{"client_id": "12345"}], Options(), NOW)
    assert match_record({"data.client_id": 12345}, DEFAULT_FIELDS, found) is not None


# --- the column matcher is match_record, fast -------------------------------------------------------------------------

IDS = [h.CRITICAL, h.EXPLORER, h.M2M, h.DCR, h.EXPIRED, h.DASHBOARD, h.OTHER]
FIELDS = ("data.details.response.body.client_id", "data.details.request.path", "data.client_id", "data.user_id")


def _random_value(rng):
    choice = rng.random()
    client = rng.choice(IDS)
    if choice < 0.15:
        return ""
    if choice < 0.3:
        return [rng.choice([*IDS, 'a "quoted", value', "$x$"]) for _ in range(rng.randint(2, 4))]
    if choice < 0.4:
        return f"/api/v2/clients/{client}" + rng.choice(["", "/rotate-secret", "?x=1"])
    if choice < 0.5:
        return client + "@clients"
    if choice < 0.55:
        return f'say "{client}", twice\nthen stop'
    return client


def _table(rng, rows):
    records = []
    for _ in range(rows):
        record = {}
        for name in FIELDS:
            if rng.random() < 0.8:
                record[name] = _random_value(rng)
        records.append(record)
    return records


@pytest.mark.parametrize("seed", range(12))
def test_match_columns_agrees_with_match_record(seed):
    rng = random.Random(seed)
    records = _table(rng, 300)
    options = Options(fields=FIELDS[::-1] if seed % 2 else FIELDS)
    expected = {i: match_record(r, options.fields, FOUND) for i, r in enumerate(records)}
    expected = {i: hit for i, hit in expected.items() if hit is not None}
    assert expected  # the data exercises matches
    body = h.splunkd_body(records, fields=list(FIELDS)).decode("utf-8")
    parsed = scp.parse_records(body, [n for f in FIELDS for n in (f, "__mv_" + f)])
    written = {name: parsed.written_column(name) for f in FIELDS for name in (f, "__mv_" + f)}
    assert None not in written.values()
    assert match_columns(written, options.fields, FOUND, scp.decode_multivalue, scp.unquote) == expected
    decoded = {name: parsed.column(name) for name in written}
    assert match_columns(decoded, options.fields, FOUND, scp.decode_multivalue) == expected


def test_match_columns_without_multivalue_companions_splits_on_newlines():
    columns = {"data.client_id": ["", f"{h.OTHER}\n{h.CRITICAL}", h.OTHER]}
    hits = match_columns(columns, DEFAULT_FIELDS, FOUND, scp.decode_multivalue)
    assert list(hits) == [1]
    assert hits[1].entry.client_id == h.CRITICAL


def test_watchlist_lookup_forms():
    found = Watchlist([Entry(client_id="abc", category="custom")])
    assert found.lookup("abc")
    assert found.lookup("abc@clients")
    assert found.lookup("/api/v2/clients/abc/credentials", path=True)
    assert found.lookup("/api/v2/clients/abc") is None  # only in path fields
    assert '"abc"' in found.written_keys
    assert '"abc@clients"' in found.written_keys
    assert watchlist.SYNTAX.startswith("auth0watchlist [fields=")
