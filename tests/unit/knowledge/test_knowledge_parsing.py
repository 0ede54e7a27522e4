"""Index-time parsing of [auth0:logs] (and the renamed HEC sourcetypes) for the HEC raw endpoint and monitored
files: line breaking, timestamp extraction and truncation, applied the way Splunk applies the settings."""

import calendar
import json
import re
from datetime import datetime

import pytest
from knowledge_samples import MANAGEMENT_CASES, constructed_log, pulled, shared_samples, streamed

from ta_auth0.events import epoch_seconds
from tools.knowledge.searchtime import KnowledgeModel, lookup_rows

PROPS = KnowledgeModel().props
ROWS = {row["code"]: row for row in lookup_rows()}
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
#: strptime directives of Splunk's TIME_FORMAT -> (regex, Python directive)
DIRECTIVES = {
    "%Y": (r"\d{4}", "%Y"),
    "%m": (r"\d{2}", "%m"),
    "%d": (r"\d{2}", "%d"),
    "%H": (r"\d{2}", "%H"),
    "%M": (r"\d{2}", "%M"),
    "%S": (r"\d{2}", "%S"),
    "%3N": (r"\d{3}", "%f"),
}


def _time_format(splunk_format):
    regex, python = "", ""
    for token in re.findall(r"%3N|%[A-Za-z]|[^%]+", splunk_format):
        if token in DIRECTIVES:
            regex += DIRECTIVES[token][0]
            python += DIRECTIVES[token][1]
        elif token.startswith("%"):
            raise AssertionError(f"TIME_FORMAT directive {token} not modelled")
        else:
            regex += re.escape(token)
            python += token
    return regex, python


def extract_time(raw, stanza):
    """_time as Splunk derives it: after TIME_PREFIX, within MAX_TIMESTAMP_LOOKAHEAD characters, per TIME_FORMAT."""
    prefix = re.search(stanza["TIME_PREFIX"], raw)
    if not prefix:
        return None
    window = raw[prefix.end() : prefix.end() + int(stanza["MAX_TIMESTAMP_LOOKAHEAD"])]
    regex, python = _time_format(stanza["TIME_FORMAT"])
    found = re.match(regex, window)
    if not found:
        return None
    moment = datetime.strptime(found.group(0), python)
    assert stanza["TZ"] == "UTC"
    return "%d.%03d" % (calendar.timegm(moment.timetuple()), moment.microsecond // 1000)


def break_lines(stream, stanza):
    """LINE_BREAKER: the first capture group is the boundary and is discarded."""
    assert stanza["SHOULD_LINEMERGE"] == "false"
    pieces = re.split(stanza["LINE_BREAKER"], stream)
    return [piece for index, piece in enumerate(pieces) if index % 2 == 0 and piece]


def _logs():
    logs = [constructed_log(code, ROWS[code]) for code in sorted(ROWS) if ROWS[code]["cim_dataset"]]
    logs += [log for _, log, _, _ in MANAGEMENT_CASES]
    logs += [log for _, log, _ in shared_samples() if ISO_MS.match(str(log.get("date")))]
    return logs


@pytest.mark.parametrize("sourcetype", ["auth0:logs", "auth0", "auth0_logs"])
def test_timestamp_is_data_date_in_utc_with_milliseconds(sourcetype):
    stanza = PROPS[sourcetype]
    for log in _logs():
        expected = epoch_seconds(log["date"])  # what the add-on's input sets as <time>
        assert extract_time(pulled(log)[0], stanza) == expected, log["type"]
        assert extract_time(streamed(log)[0], stanza) == expected, log["type"]


def test_timestamp_example_from_the_issue():
    raw = '{"log_id":"900","data":{"date":"2025-03-15T18:08:04.365Z","type":"s"}}'
    assert extract_time(raw, PROPS["auth0:logs"]) == "1742062084.365"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\n\n"])
def test_one_event_per_line(newline):
    raws = [pulled(log)[0] for log in _logs()[:5]] + [streamed(_logs()[0])[0]]
    stream = newline.join(raws) + newline
    assert break_lines(stream, PROPS["auth0:logs"]) == raws


def test_events_carry_no_newlines_to_break_on():
    for log in _logs():
        raw = pulled(log)[0]
        assert "\n" not in raw
        assert "\r" not in raw


def test_large_management_api_event_is_not_truncated():
    log = json.loads(json.dumps(MANAGEMENT_CASES[0][1]))
    log["details"]["request"]["body"] = {"code": "x" * 200_000}  # e.g. an Action's source code
    raw = pulled(log)[0]
    assert len(raw.encode("utf-8")) <= int(PROPS["auth0:logs"]["TRUNCATE"])
    assert extract_time(raw, PROPS["auth0:logs"]) == epoch_seconds(log["date"])


def test_event_breaker_matches_line_breaker():
    stanza = PROPS["auth0:logs"]
    assert stanza["EVENT_BREAKER_ENABLE"] == "true"
    assert stanza["EVENT_BREAKER"] == stanza["LINE_BREAKER"]
