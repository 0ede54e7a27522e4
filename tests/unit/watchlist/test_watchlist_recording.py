"""Conformance: replay what splunkd 8.0.3 really sent a chunked command through auth0watchlist.

The recording (getinfo + 9 execute chunks of multibyte UTF-8 CSV with __mv_ columns; header lengths in bytes) is
not copied into the project: it is read from <repo>/../shared/reference/data/splunkd-recordings/.
"""

import gzip
import os

import pytest
import watchlist_helpers as h
from splunklib.searchcommands import Configuration, StreamingCommand

pytestmark = pytest.mark.skipif(not os.path.exists(h.RECORDING), reason=f"splunkd recording not found at {h.RECORDING}")


def recording():
    with gzip.open(h.RECORDING, "rb") as handle:
        return handle.read()


def _input_chunks(data):
    chunks = h.read_answers(data)  # the same strict framing parser: splunkd's chunks must pass it too
    assert chunks[0][0]["action"] == "getinfo"
    assert [m["action"] for m, _ in chunks[1:]] == ["execute"] * 9
    assert [m["finished"] for m, _ in chunks[1:]] == [False] * 8 + [True]
    return chunks


def _with_args(data, args):
    """The recording with other options in its getinfo chunk; the execute chunks stay byte for byte."""
    first_line, rest = data.split(b"\n", 1)
    metadata_length = int(first_line.split(b",")[1])
    ((metadata, _),) = h.read_answers(data[: len(first_line) + 1 + metadata_length])
    metadata["searchinfo"]["args"] = metadata["searchinfo"]["raw_args"] = list(args)
    return h.chunk(metadata) + rest[metadata_length:]


def _check_replay(run, data):
    chunks = _input_chunks(data)
    assert run.status == 0
    assert len(run.answers) == len(chunks), "one answer per chunk"
    assert run.getinfo_answer["type"] == "stateful"
    assert [m.get("finished") for m, _ in run.answers[1:]] == [False] * 8 + [True]
    total = 0
    for (_, body_in), (_, body_out) in zip(chunks[1:], run.answers[1:]):
        header_in, records_in = h.records_of(body_in)
        header_out, records_out = h.records_of(body_out)
        assert header_out[: len(header_in)] == header_in  # every input column, __mv_ ones included, in place
        assert len(records_out) == len(records_in)
        for record_in, record_out in zip(records_in, records_out):
            assert {k: v for k, v in record_out.items() if k in record_in} == record_in
        # each record's bytes are passed on exactly as splunkd wrote them
        rows_in = body_in.split(b"\n")[1:-1]
        rows_out = body_out.split(b"\n")[1:-1]
        assert all(out.startswith(row + b",") for row, out in zip(rows_in, rows_out))
        total += len(records_in)
    assert total > 40000
    assert "ทt".encode() in run.output
    return total


def test_replay_with_the_default_fields():
    data = recording()
    run = h.Run(data)
    _check_replay(run, data)
    assert all(r["watchlist_match"] == "false" for r in run.records())
    final = h.messages(run.answers[-1][0])
    assert any(level == "WARN" and "none of the fields it looks at" in text for level, text in final)


def test_replay_matching_a_multibyte_value():
    # the recorded search had no options: give it fields=teststring the way splunkd passes options
    replay = _with_args(recording(), ["fields=teststring"])
    rows = [{"client_id": "ทt", "category": "custom", "label": "ทดสอบ", "reason": "multibyte"}]
    run = h.Run(replay, rows=rows)
    total = _check_replay(run, replay)
    records = run.records()
    assert len(records) == total
    assert all(r["watchlist_match"] == "true" and r["watchlist_label"] == "ทดสอบ" for r in records)
    assert {r["watchlist_field"] for r in records} == {"teststring"}


def test_splunklib_passes_on_the_same_records():
    @Configuration()
    class Passthrough(StreamingCommand):
        def stream(self, records):
            yield from records

    data = recording()
    output = h.splunklib_process(Passthrough(), data)
    theirs = [r for _, body in h.read_answers(output)[1:] for r in h.records_of(body)[1]]
    ours = h.Run(data).records()
    assert [{k: v for k, v in r.items() if not k.startswith("watchlist_")} for r in ours] == theirs
