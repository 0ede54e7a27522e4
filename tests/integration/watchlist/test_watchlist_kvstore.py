"""The real KV store read (ta_auth0.watchlist_store) against a local server that answers like splunkd."""

import io
import socket
import time

import pytest
from watchlist_splunkd import COLLECTION_PATH, SESSION_KEY, fake_splunkd, h

from ta_auth0 import watchlist_command
from ta_auth0.watchlist_store import WatchlistUnavailable, read_collection, read_for_search


@pytest.fixture(params=["http", "https"])
def splunkd(request, tmp_path):
    with fake_splunkd(request.param, tmp_path) as server:
        yield server


def test_reads_every_document_with_the_session_key(splunkd):
    rows = read_collection(splunkd.uri, SESSION_KEY)
    assert rows == sorted(h.watchlist_rows(), key=lambda d: d["_key"])
    (path, query, auth), (_, last, _) = splunkd.requests
    assert path == COLLECTION_PATH
    assert auth == f"Splunk {SESSION_KEY}"
    assert query == {"output_mode": "json", "sort": "_key", "limit": "10000", "skip": "0"}
    assert last["skip"] == "5"  # the page that confirms the end


def test_pages_until_an_empty_page(splunkd):
    splunkd.documents = [{"_key": "%03d" % i, "client_id": "c%d" % i} for i in range(7)]
    rows = read_collection(splunkd.uri, SESSION_KEY, page_size=3)
    assert [r["_key"] for r in rows] == ["%03d" % i for i in range(7)]
    assert [q["skip"] for _, q, _ in splunkd.requests] == ["0", "3", "6", "7"]


def test_a_limit_below_the_page_size_does_not_cut_the_list(splunkd):
    splunkd.documents = [{"_key": "%03d" % i, "client_id": "c%d" % i} for i in range(5)]
    splunkd.behaviour = "max_rows_per_query=2"
    assert len(read_collection(splunkd.uri, SESSION_KEY)) == 5
    assert [q["skip"] for _, q, _ in splunkd.requests] == ["0", "2", "4", "5"]


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (401, "splunkd refused the search's session key when reading the KV store collection auth0_client_watchlist "
              "(app TA-auth0) at {uri} (HTTP 401)."),
        (403, "the search's user may not read the KV store collection auth0_client_watchlist (app TA-auth0) at {uri} "
              "(HTTP 403). Give the user's role read access"),
        (404, "the KV store collection auth0_client_watchlist (app TA-auth0) at {uri} does not exist (HTTP 404). "
              "Install the TA-auth0 add-on on this search head"),
        (503, "the KV store is not ready to serve the KV store collection auth0_client_watchlist (app TA-auth0) at "
              "{uri} (HTTP 503). Check its status with 'splunk show kvstore-status'."),
        (500, "splunkd answered HTTP 500 Internal Server Error when reading the KV store collection"),
        ("malformed", "splunkd's answer for the KV store collection auth0_client_watchlist (app TA-auth0) at {uri} is "
                      "not valid JSON ("),
        ("object", "is a JSON dict, not the array of documents a KV store collection returns."),
    ],
)  # fmt: skip
def test_failures_say_what_to_check(splunkd, behaviour, message):
    splunkd.behaviour = behaviour
    with pytest.raises(WatchlistUnavailable) as caught:
        read_collection(splunkd.uri, SESSION_KEY)
    assert message.format(uri=splunkd.uri) in str(caught.value)
    assert str(caught.value).startswith("auth0watchlist: ")


def test_unreachable_splunkd():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(WatchlistUnavailable, match=r"cannot reach splunkd to read the KV store collection "
                       r"auth0_client_watchlist \(app TA-auth0\) at https://127.0.0.1:\d+: .*refused"):  # fmt: skip
        read_collection(f"https://127.0.0.1:{port}", SESSION_KEY)


def test_a_splunkd_that_does_not_answer_in_time(splunkd):
    splunkd.behaviour = "hang"
    started = time.monotonic()
    with pytest.raises(WatchlistUnavailable, match=r"cannot reach splunkd .*timed out"):
        read_collection(splunkd.uri, SESSION_KEY, timeout=0.5)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "searchinfo",
    [{}, {"splunkd_uri": "https://127.0.0.1:8089"}, {"session_key": "k"}, {"splunkd_uri": " ", "session_key": "k"}],
)
def test_searchinfo_without_splunkd_or_session(searchinfo):
    with pytest.raises(WatchlistUnavailable, match="did not pass splunkd's address and session key"):
        read_for_search(searchinfo)


@pytest.mark.parametrize("uri", ["127.0.0.1:8089", "ftp://127.0.0.1:8089", "https://127.0.0.1", "https://:8089"])
def test_a_splunkd_uri_that_is_not_one(uri):
    with pytest.raises(WatchlistUnavailable, match="is not a scheme://host:port URI"):
        read_collection(uri, SESSION_KEY)


# --- the command with its real reader ------------------------------------------------------------------------------


def _run(splunkd, args=(), bodies=None):
    records = [{"_time": "1", "data.client_id": h.EXPLORER}, {"_time": "2", "data.client_id": h.OTHER}]
    bodies = bodies or [h.splunkd_body(records)] * 4
    data = h.conversation(args, bodies, splunkd_uri=splunkd.uri, session_key=SESSION_KEY)
    out = io.BytesIO()
    status = watchlist_command.run(io.BytesIO(data), out, stderr=io.StringIO())
    return status, h.read_answers(out.getvalue())


def test_the_command_reads_the_collection_once_per_search(splunkd):
    status, answers = _run(splunkd)
    assert status == 0
    assert len(answers) == 5
    assert len(splunkd.requests) == 2  # one page and the empty page that ends it; never per chunk or record
    records = [r for _, body in answers[1:] for r in h.records_of(body)[1]]
    assert [r["watchlist_match"] for r in records] == ["true", "false"] * 4


@pytest.mark.parametrize(
    ("behaviour", "problem"), [(404, "does not exist (HTTP 404)"), (401, "(HTTP 401)"), ("malformed", "not valid JSON")]
)
def test_the_command_stops_with_an_error_when_the_collection_cannot_be_read(splunkd, behaviour, problem):
    splunkd.behaviour = behaviour
    status, answers = _run(splunkd)
    assert status == 1
    assert len(answers) == 1
    ((level, text),) = h.messages(answers[0][0])
    assert level == "ERROR"
    assert problem in text


def test_the_command_warns_about_bad_rows_and_goes_on(splunkd):
    splunkd.documents = [*h.watchlist_rows(), {"_key": "zz", "client_id": "two ids"}, 42]
    status, answers = _run(splunkd)
    assert status == 0
    warnings = [t for level, t in h.messages(answers[0][0]) if level == "WARN"]
    assert any("2 watchlist row(s) in auth0_client_watchlist are malformed" in t for t in warnings)
    assert any("expired" in t for t in warnings)
