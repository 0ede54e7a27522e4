"""splunkd's REST calls of the live tier, answered by a stand-in transport (no network)."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

from tools.live_splunk.credentials import Credentials
from tools.live_splunk.rest import Hec, Splunk, SplunkError


class Transport(BaseAdapter):
    """Answers each request with ``handler(method, path, query, body)`` -> (status, JSON body)."""

    def __init__(self, handler):
        super().__init__()
        self.handler = handler
        self.requests = []

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        form = {k: v[0] for k, v in parse_qs(body).items()} if "=" in body and not body.startswith("[") else body
        self.requests.append((request.method, url.path, query, form, request))
        status, answer = self.handler(request.method, url.path, query, form)
        if isinstance(answer, Exception):
            raise answer
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(answer).encode() if answer is not None else b""
        response.request = request
        response.url = request.url
        return response

    def close(self):
        pass


def splunk_with(handler):
    credentials = Credentials.generate()
    splunk = Splunk(8089, credentials)
    transport = Transport(handler)
    splunk.session.mount("https://", transport)
    return splunk, transport, credentials


def test_only_loopback_is_allowed():
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        Splunk(8089, Credentials.generate(), host="splunk.example.com")
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        Hec(8088, Credentials.generate(), host="10.0.0.1")


def test_a_oneshot_search_gets_search_prepended_times_and_json():
    answer = {"results": [{"log_ids": ["a", "b"], "tenant": "acme"}], "messages": [{"type": "WARN", "text": "w"}]}
    splunk, transport, _ = splunk_with(lambda *request: (200, answer))
    rows, messages = splunk.oneshot("TA-auth0", "`auth0_logs` x", earliest_time=1, latest_time=2)
    assert rows == answer["results"]
    assert messages == answer["messages"]
    method, path, query, form, request = transport.requests[0]
    assert (method, path) == ("POST", "/servicesNS/admin/TA-auth0/search/jobs")
    assert query["output_mode"] == "json"
    assert form["search"] == "search `auth0_logs` x"
    assert (form["exec_mode"], form["earliest_time"], form["latest_time"]) == ("oneshot", "1", "2")
    assert request.url.startswith("https://127.0.0.1:8089/")
    splunk.oneshot("TA-auth0", "| multisearch [search x] [search y]")
    assert transport.requests[1][3]["search"] == "| multisearch [search x] [search y]"


def test_errors_name_the_endpoint_and_splunk_message_without_secrets():
    def handler(method, path, query, form):
        return 400, {"messages": [{"type": "FATAL", "text": f"Error in 'auth0watchlist' {form['search']}"}]}

    splunk, _, credentials = splunk_with(handler)
    with pytest.raises(SplunkError) as raised:
        splunk.oneshot("TA-auth0", f"x {credentials.password}")
    text = str(raised.value)
    assert text.startswith("POST /servicesNS/admin/TA-auth0/search/jobs: HTTP 400: FATAL: Error in 'auth0watchlist'")
    assert credentials.password not in text


def test_the_macro_is_set_in_the_app_with_a_fallback_to_conf_macros():
    def handler(method, path, query, form):
        return (404, {"messages": []}) if "/admin/macros/" in path else (200, {})

    splunk, transport, _ = splunk_with(handler)
    splunk.set_macro("TA-auth0", "auth0_index", 'index=auth0_live source="s"')
    paths = [r[1] for r in transport.requests]
    assert paths == ["/servicesNS/nobody/TA-auth0/admin/macros/auth0_index",
                     "/servicesNS/nobody/TA-auth0/configs/conf-macros/auth0_index"]  # fmt: skip
    assert transport.requests[-1][3] == {"definition": 'index=auth0_live source="s"'}


def test_a_restart_that_drops_the_connection_is_waited_out(monkeypatch):
    times = iter([100, None, 100, 250])

    def handler(method, path, query, form):
        if path == "/services/server/control/restart":
            return 0, requests.ConnectionError("Connection aborted")
        start = next(times)
        return (200, {"entry": [{"content": {"startup_time": start}}]}) if start else (0, requests.ConnectionError())

    monkeypatch.setattr("tools.live_splunk.rest.time.sleep", lambda seconds: None)
    splunk, transport, _ = splunk_with(handler)
    splunk.restart()
    assert [r[1] for r in transport.requests].count("/services/server/info") == 4


def test_the_hec_token_gets_the_index_only_when_it_is_restricted():
    def entries(token, indexes):
        return {"entry": [
            {"links": {"edit": "/servicesNS/nobody/splunk_httpinput/data/inputs/http/other"},
             "content": {"token": "someone-else", "indexes": []}},
            {"links": {"edit": "/servicesNS/nobody/splunk_httpinput/data/inputs/http/ours"},
             "content": {"token": token, "indexes": indexes}},
        ]}  # fmt: skip

    for indexes, edits in (([], []), (["main"], [{"indexes": "main,auth0_live"}]), (["auth0_live"], [])):
        holder = {}

        def handler(method, path, query, form, indexes=indexes, holder=holder):
            return 200, entries(holder["token"], indexes) if method == "GET" else {}

        splunk, transport, credentials = splunk_with(handler)
        holder["token"] = credentials.hec_token
        splunk.allow_hec_index("auth0_live")
        posts = [r for r in transport.requests if r[0] == "POST"]
        assert [r[3] for r in posts] == edits
        assert all(r[1].endswith("/http/ours") for r in posts)


def test_the_kv_store_collection_is_emptied_then_filled_in_one_batch():
    splunk, transport, _ = splunk_with(lambda *request: (200, {}))
    splunk.kv_replace("TA-auth0", "auth0_client_watchlist", [{"client_id": "A", "category": "critical"}])
    (delete, save) = transport.requests
    assert (delete[0], delete[1]) == (
        "DELETE",
        "/servicesNS/nobody/TA-auth0/storage/collections/data/auth0_client_watchlist",
    )
    assert save[1].endswith("/auth0_client_watchlist/batch_save")
    assert json.loads(save[3]) == [{"client_id": "A", "category": "critical"}]
    assert save[4].headers["Content-Type"] == "application/json"


def test_hec_sends_with_the_token_header_and_reports_rejections():
    credentials = Credentials.generate()
    collector = Hec(8088, credentials)
    answers = iter([(200, {"text": "Success", "code": 0}), (400, {"text": "Incorrect index", "code": 7})])
    transport = Transport(lambda *request: next(answers))
    collector.session.mount("https://", transport)
    collector.send(b'{"event": {}}')
    request = transport.requests[0][4]
    assert request.url == "https://127.0.0.1:8088/services/collector/event"
    assert request.headers["Authorization"] == "Splunk " + credentials.hec_token
    with pytest.raises(SplunkError, match="Incorrect index") as raised:
        collector.send(b'{"event": {}}')
    assert credentials.hec_token not in str(raised.value)
