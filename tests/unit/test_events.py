"""Events match splunklib's own XML, carry the Log Streams envelope, and never lose a log."""

import io
import json
import xml.etree.ElementTree as ET

from splunklib.modularinput import Event, EventWriter

from ta_auth0.events import EventSink, envelope, epoch_seconds

LOG = {
    "_id": "90020250315180807266045000000000000001223372126167226037",
    "log_id": "90020250315180807266045000000000000001223372126167226037",
    "date": "2025-03-15T18:08:04.365Z",
    "type": "s",
    "description": 'x < y & "z" > ü',
    "details": {"prompts": [{"name": "login"}]},
}


def test_envelope_is_the_log_stream_shape():
    env = envelope(dict(LOG))
    assert list(env) == ["log_id", "data"]
    assert env["log_id"] == LOG["log_id"]
    assert "_id" not in env["data"]
    assert env["data"]["log_id"] == LOG["log_id"]
    assert env["data"]["details"] == LOG["details"]


def test_envelope_keeps_an_id_that_differs():
    env = envelope({"log_id": "1", "id": "other", "date": "x"})
    assert env["data"]["id"] == "other"


def test_epoch_seconds_keeps_milliseconds_in_utc():
    assert epoch_seconds("2025-03-15T18:08:04.365Z") == "1742062084.365"
    assert epoch_seconds("2025-03-15T18:08:04Z") == "1742062084.000"
    assert epoch_seconds("2025-03-15T18:08:04.3Z") == "1742062084.300"
    assert epoch_seconds("2025-03-15T19:08:04.365+01:00") == "1742062084.365"
    assert epoch_seconds({"$date": 1}) is None
    assert epoch_seconds("garbage-garbage-garbage") is None


def _parse_stream(text):
    return ET.fromstring(text + ("</stream>" if not text.endswith("</stream>") else ""))


def _shape(element):
    text = (element.text or "").strip()
    if element.tag == "data":
        text = json.loads(text)  # the same JSON, however its characters are escaped
    return element.tag, element.attrib, text, [_shape(child) for child in element]


def test_sink_writes_what_splunklib_writes():
    ours = io.StringIO()
    sink = EventSink(EventWriter(output=ours), "auth0", host="acme.us.auth0.com", source="auth0://acme.us.auth0.com",
                     sourcetype="auth0:logs")  # fmt: skip
    assert sink.write_page([(dict(LOG), None), (dict(LOG), json.dumps(LOG, separators=(",", ":")))]) == 2

    reference = io.StringIO()
    writer = EventWriter(output=reference)
    for _ in range(2):
        writer.write_event(
            Event(
                data=json.dumps(envelope(dict(LOG)), ensure_ascii=False, separators=(",", ":")),
                time=epoch_seconds(LOG["date"]),
                index="auth0",
                host="acme.us.auth0.com",
                source="auth0://acme.us.auth0.com",
                sourcetype="auth0:logs",
            )
        )
    ours_tree, reference_tree = _parse_stream(ours.getvalue()), _parse_stream(reference.getvalue())
    assert [_shape(e) for e in ours_tree] == [_shape(e) for e in reference_tree]
    events = ours_tree
    assert json.loads(events[0].find("data").text)["data"]["description"] == LOG["description"]


def test_sink_without_time_lets_splunk_choose():
    out = io.StringIO()
    EventSink(EventWriter(output=out), None, host="h", source="s", sourcetype="auth0:logs").write_page(
        [({"log_id": "1", "type": "s"}, None)]
    )
    event = _parse_stream(out.getvalue())[0]
    assert event.find("time") is None
    assert event.find("index") is None


class _AsciiOnlyStream(io.StringIO):
    """A stream that, like a UTF-8 pipe, cannot take lone surrogates."""

    def write(self, text):
        text.encode("utf-8")
        return super().write(text)


def test_page_parsing_keeps_each_logs_text():
    from ta_auth0.events import parse_log_page

    page = b' [ {"log_id":"1","a":[1,{"b":"]"}]} ,\n{"log_id":"2","s":"x\\u00fc\\"y"} ] '
    entries = parse_log_page(page)
    assert [log["log_id"] for log, _ in entries] == ["1", "2"]
    assert [json.loads(raw) for _, raw in entries] == [log for log, _ in entries]
    assert parse_log_page(b"[]") == []
    assert parse_log_page(b'{"statusCode": 400}') == {"statusCode": 400}
    for broken in (b'[{"log_id":"1"}', b'[{"log_id":"1"} {"log_id":"2"}]', b'[{"log_id":"1"}] x', b"\xff[]"):
        try:
            parse_log_page(broken)
        except ValueError:
            continue
        raise AssertionError(f"accepted {broken!r}")


def test_fast_path_drops_a_trailing_id_alias_and_matches_the_slow_path():
    log = {"log_id": "900123", "date": "2025-03-15T18:08:04.365Z", "type": "s", "_id": "900123"}
    raw = json.dumps(log, separators=(",", ":"))
    sink = EventSink(EventWriter(output=io.StringIO()), None, host="h", source="s", sourcetype="auth0:logs")
    fast = sink._data_text(dict(log), raw)
    slow = sink._data_text(dict(log), None)
    assert fast == slow == '{"log_id":"900123","data":{"log_id":"900123","date":"2025-03-15T18:08:04.365Z","type":"s"}}'
    first = {"_id": "900123", **{k: v for k, v in log.items() if k != "_id"}}
    assert json.loads(sink._data_text(dict(first), json.dumps(first))) == json.loads(slow)
    with_id = dict(log, id="900123")
    assert "id" not in json.loads(sink._data_text(with_id, json.dumps(with_id)))["data"]


def test_lone_surrogates_are_escaped_not_lost():
    out = _AsciiOnlyStream()
    sink = EventSink(EventWriter(output=out), None, host="h", source="s", sourcetype="auth0:logs")
    logs = [{"log_id": "1", "user_name": "bad \ud800 name"}, {"log_id": "2", "user_name": "müller"}]
    assert sink.write_page([(log, None) for log in logs]) == 2
    events = _parse_stream(out.getvalue())
    assert [json.loads(e.find("data").text)["data"]["user_name"] for e in events] == ["bad \ud800 name", "müller"]
    assert "müller" in out.getvalue()  # only the broken log is escaped
