"""auth0watchlist through SCP v2, in process: getinfo and execute chunks as splunkd sends them."""

import io
import json

import auth0_watchlist_stream
import pytest
import watchlist_helpers as h
from splunklib.searchcommands import Configuration, Option, StreamingCommand
from splunklib.searchcommands.search_command import SearchCommand

from ta_auth0 import watchlist_store
from ta_auth0.watchlist_store import WatchlistUnavailable

NO_MATCH = dict.fromkeys(h.OUTPUT_FIELDS, "")
NO_MATCH["watchlist_match"] = "false"


def _set(record):
    """A record without its empty values: a chunk gives every record every column of the chunk."""
    return {name: value for name, value in record.items() if value not in ("", [])}


def _annotated(record, category="", label="", reason="", field="", client_id=""):
    expected = dict(record)
    if category:
        expected.update(watchlist_match="true", watchlist_category=category, watchlist_label=label,
                        watchlist_reason=reason, watchlist_field=field, watchlist_client_id=client_id)  # fmt: skip
    else:
        expected.update(NO_MATCH)
    return _set(expected)


SECRET_READ = {
    "_time": "1767225600.123", "data.type": "mgmt_api_read", "data.description": "Get client by ID",
    "data.client_id": h.DASHBOARD, "data.details.response.body.client_id": h.CRITICAL,
    "data.details.accessedSecrets{}": "client_secret",
}  # fmt: skip
EXPLORER_TOKEN = {"_time": "1767225601.000", "data.type": "seccft", "data.client_id": h.EXPLORER,
                  "data.scope": ["read:users", "update:clients"]}  # fmt: skip
LOGIN = {"_time": "1767225602.000", "data.type": "s", "data.client_id": h.OTHER, "data.user_name": "jdoe@example.com"}
GRANT_LIST = {"_time": "1767225603.000", "data.type": "mgmt_api_read",
              "data.details.response.body{}.client_id": [h.OTHER, h.M2M, h.DCR]}  # fmt: skip


# --- getinfo -------------------------------------------------------------------------------------------------------


def _splunklib_getinfo_answer(distributed):
    @Configuration(distributed=distributed)
    class Reference(StreamingCommand):
        def stream(self, records):
            yield from records

    output = h.splunklib_process(Reference(), h.getinfo() + h.execute(b"", finished=True))
    return h.read_answers(output)[0][0]


def test_getinfo_answer_is_splunklibs_search_head_only_streaming_answer():
    run = h.Run(h.getinfo() + h.execute(b"", finished=True), rows=h.watchlist_rows()[:4])
    assert run.getinfo_answer == {"type": "stateful"}
    assert run.getinfo_answer == _splunklib_getinfo_answer(distributed=False)
    assert _splunklib_getinfo_answer(distributed=True) == {"type": "streaming"}  # what we must not answer


def test_reads_the_watchlist_once_with_the_searchs_credentials():
    bodies = [h.splunkd_body([SECRET_READ, LOGIN])] * 5
    run = h.Run(h.conversation([], bodies))
    assert run.reads == 1
    assert run.searchinfo["session_key"] == "s3ss10n-k3y"
    assert run.searchinfo["splunkd_uri"] == "https://127.0.0.1:8089"


# --- execute -------------------------------------------------------------------------------------------------------


def test_annotates_every_record_over_several_chunks():
    chunks = [[LOGIN, SECRET_READ], [EXPLORER_TOKEN], [GRANT_LIST, LOGIN]]
    run = h.Run(h.conversation([], [h.splunkd_body(c) for c in chunks]))
    assert run.status == 0
    assert [m.get("finished") for m, _ in run.answers[1:]] == [False, False, True]
    assert [_set(r) for r in run.records()] == [
        _annotated(LOGIN),
        _annotated(SECRET_READ, "critical", "Payments API client", "holds the payment provider's secret",
                   "data.details.response.body.client_id", h.CRITICAL),
        _annotated(EXPLORER_TOKEN, "api_explorer", "API Explorer Application", "all Management API scopes",
                   "data.client_id", h.EXPLORER),
        _annotated(GRANT_LIST, "privileged_m2m", "Terraform", "update:clients, delete:clients",
                   "data.details.response.body{}.client_id", h.M2M),
        _annotated(LOGIN),
    ]  # fmt: skip
    assert ("WARN", next(t for _, t in run.all_messages() if "expired" in t)) in run.all_messages()


def test_new_columns_are_set_when_the_first_record_does_not_match():
    run = h.Run(h.conversation([], [h.splunkd_body([LOGIN, LOGIN, SECRET_READ])]))
    header, records = h.records_of(run.answers[1][1])
    assert set(h.OUTPUT_FIELDS) <= set(header)
    assert {"__mv_" + name for name in h.OUTPUT_FIELDS} <= set(header)
    assert records[2]["watchlist_category"] == "critical"
    assert records[0]["watchlist_match"] == "false"


def test_mode_filter_keeps_matches_only_and_still_answers_every_chunk():
    bodies = [h.splunkd_body([LOGIN]), h.splunkd_body([LOGIN, EXPLORER_TOKEN, LOGIN]), h.splunkd_body([LOGIN])]
    run = h.Run(h.conversation(["mode=filter"], bodies))
    answered = [(m.get("finished"), len(b) > 0) for m, b in run.answers[1:]]
    assert answered == [(False, False), (False, True), (True, False)]
    assert [r["data.type"] for r in run.records()] == ["seccft"]
    assert run.records()[0]["data.scope"] == ["read:users", "update:clients"]


def test_mode_filter_that_keeps_nothing_says_so():
    run = h.Run(h.conversation(["mode=filter", "category=dcr"], [h.splunkd_body([LOGIN, SECRET_READ])]))
    assert run.records() == []
    assert ("INFO", "auth0watchlist: none of the 2 record(s) matched the watchlist (1 applicable entries), so "
            "mode=filter returns nothing.") in run.all_messages()  # fmt: skip


def test_options_reach_the_matcher():
    args = ['fields="data.client_id"', "category=critical,api_explorer", "tenant=acme.us.auth0.com"]
    run = h.Run(h.conversation(args, [h.splunkd_body([SECRET_READ, EXPLORER_TOKEN, GRANT_LIST])]))
    assert [r["watchlist_match"] for r in run.records()] == ["false", "true", "false"]


def test_multivalue_and_multibyte_values_survive():
    rows = [*h.watchlist_rows(), {"client_id": "ทtapp中文", "category": "custom", "label": "ป้ายชื่อ", "reason": "理由"}]
    record = {"_time": "1", "data.client_id": "ทtapp中文", "data.description": "ข้อความ, \"quoted\"\nline 2",
              "data.scope": ["ทt", "a$b", "c;d"]}  # fmt: skip
    run = h.Run(h.conversation([], [h.splunkd_body([record, LOGIN])]), rows=rows)
    assert _set(run.records()[0]) == _annotated(record, "custom", "ป้ายชื่อ", "理由", "data.client_id", "ทtapp中文")


def test_crlf_bodies():
    run = h.Run(h.conversation([], [h.splunkd_body([LOGIN, EXPLORER_TOKEN], newline="\r\n")]))
    assert [r["watchlist_match"] for r in run.records()] == ["false", "true"]
    assert run.answers[1][1].count(b"\r\n") == 3


def test_a_large_chunk():
    records = [dict(LOGIN, _time=str(i)) for i in range(60000)]
    records[59999] = dict(SECRET_READ, _raw="x" * (5 * 1024 * 1024))
    run = h.Run(h.conversation([], [h.splunkd_body(records)]))
    out = run.records()
    assert len(out) == 60000
    assert [r["_time"] for r in out[:3]] == ["0", "1", "2"]
    assert out[59999]["watchlist_match"] == "true"
    assert len(out[59999]["_raw"]) == 5 * 1024 * 1024


def test_existing_watchlist_columns_are_replaced_not_duplicated():
    earlier = dict(LOGIN, watchlist_match="true", watchlist_category="critical")
    run = h.Run(h.conversation([], [h.splunkd_body([earlier, SECRET_READ])]))
    header, records = h.records_of(run.answers[1][1])
    assert header.count("watchlist_match") == 1
    assert records[0]["watchlist_match"] == "false"
    assert records[0]["watchlist_category"] == ""
    assert records[1]["watchlist_category"] == "critical"


def test_output_is_what_splunklib_reads():
    data = h.conversation([], [h.splunkd_body([LOGIN, SECRET_READ, GRANT_LIST])])
    run = h.Run(data)
    stream = io.BytesIO(run.output)
    SearchCommand._read_chunk(stream)  # getinfo answer
    metadata, body = SearchCommand._read_chunk(stream)
    assert metadata.finished is True
    parsed = [dict(r) for r in SearchCommand()._read_csv_records(io.StringIO(body))]
    assert parsed == run.records()


# --- finished, empty and broken input ------------------------------------------------------------------------------


def test_stops_after_the_finished_chunk():
    data = h.conversation([], [h.splunkd_body([LOGIN])]) + h.execute(h.splunkd_body([LOGIN]), finished=True)
    run = h.Run(data)
    assert len(run.answers) == 2
    assert run.answers[-1][0]["finished"] is True


def test_input_that_ends_without_a_finished_chunk():
    run = h.Run(h.getinfo() + h.execute(h.splunkd_body([LOGIN])))
    assert run.status == 0
    assert [m.get("finished") for m, _ in run.answers[1:]] == [False]


def test_empty_input_is_said_not_silent():
    run = h.Run(h.getinfo() + h.execute(b"", finished=True))
    assert run.answers[1] == (
        {"finished": True, "inspector": {"messages": [
            ["INFO", "auth0watchlist: no records reached the command (the search before it found none)."]]}},
        b"",
    )  # fmt: skip
    header_only = h.Run(h.getinfo() + h.execute(h.splunkd_body([], fields=["_time"]), finished=True))
    assert header_only.answers[1][1] == b""


def test_no_input_at_all():
    run = h.Run(b"")
    assert (run.status, run.output, run.reads) == (0, b"", 0)


def test_missing_fields_are_reported_once_at_the_end():
    bodies = [h.splunkd_body([{"_time": "1", "host": "x"}])] * 3
    run = h.Run(h.conversation([], bodies))
    warnings = [t for level, t in run.all_messages() if level == "WARN" and "none of the fields" in t]
    assert len(warnings) == 1
    assert "none of the fields it looks at (data.details.response.body.client_id" in warnings[0]
    assert warnings[0] in [t for _, t in h.messages(run.answers[-1][0])]
    assert all(r["watchlist_match"] == "false" for r in run.records())


def test_fields_named_but_never_seen():
    run = h.Run(h.conversation(["fields=data.client_id,client"], [h.splunkd_body([LOGIN])]))
    assert ("WARN", "auth0watchlist: field(s) named in fields= never appeared in the results: client.") in (
        run.all_messages()
    )
    none_seen = h.Run(h.conversation(["fields=client"], [h.splunkd_body([LOGIN])]))
    assert any("none of the fields named in fields= (client)" in t for _, t in none_seen.all_messages())


def test_non_utf8_values_pass_through_byte_for_byte():
    body = h.splunkd_body([LOGIN, SECRET_READ]).replace(b"jdoe@example.com", b"jdoe\xff\xfe@example.com")
    run = h.Run(h.conversation([], [body]))
    answer = run.answers[1][1]
    assert b"jdoe\xff\xfe@example.com" in answer
    _, records = h.records_of(answer, encoding_errors="surrogateescape")
    assert [r["watchlist_match"] for r in records] == ["false", "true"]
    assert ("WARN", "auth0watchlist: some records hold bytes that are not UTF-8 text. They pass through unchanged, "
            "but a value with such bytes cannot match a client id.") in run.all_messages()  # fmt: skip


@pytest.mark.parametrize(
    ("args", "errors"),
    [
        (["bogus=1"], ["auth0watchlist: unknown option 'bogus'. auth0watchlist takes fields=, category=, tenant= "
                       "and mode=."]),
        (["mode=drop", "category=vip"], ["auth0watchlist: category=vip names 'vip': use one or more of critical, "
                                         "api_explorer, privileged_m2m, dcr, custom.",
                                         "auth0watchlist: mode=drop is not a mode: use mode=annotate (the default) "
                                         "or mode=filter."]),
    ],
)  # fmt: skip
def test_wrong_options_stop_the_search_at_getinfo(args, errors):
    run = h.Run(h.conversation(args, [h.splunkd_body([LOGIN])]))
    assert run.status == 1
    assert run.reads == 0
    assert len(run.answers) == 1
    assert run.getinfo_answer["type"] == "stateful"
    assert [t for level, t in h.messages(run.getinfo_answer) if level == "ERROR"] == [
        *errors,
        "auth0watchlist: usage: auth0watchlist [fields=<field>,...] [category=<category>,...] [tenant=<tenant>] "
        "[mode=annotate|filter]",
    ]


def test_an_unreadable_watchlist_stops_the_search():
    def unreachable(searchinfo):
        raise WatchlistUnavailable("auth0watchlist: cannot reach splunkd")

    run = h.Run(h.conversation([], [h.splunkd_body([LOGIN])]), reader=unreachable)
    assert run.status == 1
    assert h.messages(run.getinfo_answer) == [("ERROR", "auth0watchlist: cannot reach splunkd")]
    assert len(run.answers) == 1


def test_malformed_rows_warn_and_the_search_goes_on():
    rows = [*h.watchlist_rows(), {"_key": "x", "client_id": "a b"}]
    run = h.Run(h.conversation([], [h.splunkd_body([SECRET_READ])]), rows=rows)
    assert run.status == 0
    warnings = [t for level, t in h.messages(run.getinfo_answer) if level == "WARN"]
    assert any("1 watchlist row(s) in auth0_client_watchlist are malformed" in t for t in warnings)
    assert run.records()[0]["watchlist_match"] == "true"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (h.getinfo() + b"garbage\n", "expected a 'chunked 1.0"),
        (h.getinfo() + h.execute(b"a,b\n1,2\n")[:-3], "ended inside a chunk's body"),
        (h.getinfo() + h.getinfo(), "expected an execute chunk, got action 'getinfo'"),
    ],
)
def test_protocol_errors_after_getinfo(data, problem):
    run = h.Run(data)
    assert run.status == 1
    metadata, body = run.answers[-1]
    assert metadata["finished"] is True
    assert body == b""
    ((level, text),) = h.messages(metadata)
    assert level == "ERROR"
    assert problem in text
    assert "protocol error" in run.stderr


def test_a_first_chunk_that_is_not_getinfo():
    run = h.Run(h.execute(b"a\n1\n", finished=True))
    assert run.status == 1
    assert run.getinfo_answer["type"] == "stateful"
    assert "the first chunk must be getinfo" in h.messages(run.getinfo_answer)[0][1]


def test_a_bug_is_reported_without_a_traceback_in_the_search():
    def broken(searchinfo):
        raise KeyError("surprise")

    run = h.Run(h.conversation([], [h.splunkd_body([LOGIN])]), reader=broken)
    assert run.status == 1
    ((level, text),) = h.messages(run.getinfo_answer)
    assert level == "ERROR"
    assert text.startswith("auth0watchlist: internal error (KeyError: 'surprise').")
    assert "Traceback" not in text
    assert "Traceback (most recent call last)" in run.stderr


def test_splunkd_going_away_mid_answer():
    class ClosedPipe(io.BytesIO):
        def write(self, data):
            raise BrokenPipeError

    from ta_auth0 import watchlist_command

    data = h.conversation([], [h.splunkd_body([LOGIN])])
    status = watchlist_command.run(io.BytesIO(data), ClosedPipe(), read_rows=lambda info: [], stderr=io.StringIO())
    assert status == 1


# --- the splunklib path UCC's wrapper would take agrees -----------------------------------------------------------


def test_the_ucc_stream_function_gives_the_same_records(monkeypatch):
    monkeypatch.setattr(watchlist_store, "read_for_search", lambda searchinfo: h.watchlist_rows())

    @Configuration(distributed=False)
    class Generated(StreamingCommand):  # the shape of UCC's generated wrapper
        fields = Option(name="fields", require=False)
        category = Option(name="category", require=False)
        tenant = Option(name="tenant", require=False)
        mode = Option(name="mode", require=False, default="annotate")

        def stream(self, events):
            return auth0_watchlist_stream.stream(self, events)

    chunks = [[LOGIN, SECRET_READ], [EXPLORER_TOKEN, GRANT_LIST]]
    for args in ([], ["mode=filter", "category=critical,privileged_m2m"]):
        data = h.conversation(args, [h.splunkd_body(c) for c in chunks])
        output = h.splunklib_process(Generated(), data)
        theirs = [r for _, body in h.read_answers(output)[1:] for r in h.records_of(body)[1]]
        assert theirs == h.Run(data).records()
        assert theirs


def test_answer_lengths_count_bytes():
    run = h.Run(h.conversation([], [h.splunkd_body([dict(LOGIN, x="ทt" * 100)])]), rows=h.watchlist_rows()[:4])
    header_line = run.output.split(b"\n", 1)[0]
    assert header_line == b"chunked 1.0,%d,0" % len(json.dumps({"type": "stateful"}, separators=(",", ":")))
    body = run.answers[1][1]  # read_answers framed it by byte counts
    assert len(body) > len(body.decode("utf-8"))
    assert h.records_of(body)[1][0]["x"] == "ทt" * 100
