"""SCP v2 framing and CSV bodies (ta_auth0.scp), checked against Python's csv module and splunklib."""

import csv
import io
import random

import pytest
import watchlist_helpers as h
from splunklib.searchcommands.search_command import SearchCommand

from ta_auth0 import scp

# --- framing -------------------------------------------------------------------------------------------------------


def test_read_chunk_counts_bytes():
    body = '"_time",teststring\n"1","ทt"\n'.encode()
    stream = io.BytesIO(h.chunk({"action": "execute", "finished": True, "x": "é"}, body) + h.getinfo())
    first = scp.read_chunk(stream)
    assert first.metadata == {"action": "execute", "finished": True, "x": "é"}
    assert first.body == body
    assert scp.read_chunk(stream).metadata["action"] == "getinfo"
    assert scp.read_chunk(stream) is None


def test_read_chunk_accepts_splunklib_header_spacing():
    assert scp.read_chunk(io.BytesIO(b"chunked  1.0 , 2 ,0\n{}")).metadata == {}


class _Trickle(io.RawIOBase):
    """A pipe that hands over a few bytes at a time."""

    def __init__(self, data):
        self.data = data

    def readable(self):
        return True

    def readinto(self, buffer):
        size = min(len(buffer), 3, len(self.data))
        buffer[:size], self.data = self.data[:size], self.data[size:]
        return size


def test_read_chunk_reads_short_pipe_reads_to_the_end():
    data = h.execute(b"a,b\n1,2\n" * 100, finished=True)
    chunk = scp.read_chunk(io.BufferedReader(_Trickle(data), buffer_size=7))
    assert chunk.body == b"a,b\n1,2\n" * 100


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"chunked 2.0,2,0\n{}", "expected a 'chunked 1.0"),
        (b"hello\n", "expected a 'chunked 1.0"),
        (b"chunked 1.0," + b"9" * 200 + b",0\n", "expected a 'chunked 1.0"),
        (b"chunked 1.0,10,0\n{}", "ended inside a chunk's metadata: 2 of 10 bytes"),
        (b"chunked 1.0,2,10\n{}abc", "ended inside a chunk's body: 3 of 10 bytes"),
        (b"chunked 1.0,3,0\n{x}", "metadata is not JSON"),
        (b"chunked 1.0,2,0\n[]", "not a JSON object"),
        (b"chunked 1.0,2,0\n\xff\xfe", "metadata is not JSON"),
    ],
)
def test_read_chunk_rejects(data, problem):
    with pytest.raises(scp.ProtocolError, match=problem):
        scp.read_chunk(io.BytesIO(data))


def test_write_chunk_is_what_splunklib_reads():
    out = io.BytesIO()
    body = "a,b\r\n1,ทt\r\n".encode()
    scp.write_chunk(out, scp.with_messages({"finished": True}, [("WARN", "ข้อความ")]), body)
    metadata, text = SearchCommand._read_chunk(io.BytesIO(out.getvalue()))
    assert metadata.finished is True
    assert metadata.inspector.messages == [["WARN", "ข้อความ"]]
    assert text == body.decode()
    assert scp.with_messages({"finished": False}, []) == {"finished": False}


# --- multivalues -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [["a", "b"], ["a$", "b"], ["$", "$$", ""], ["a$;", "x"], ["ทt", "中文"], ["", ""], ["x"], ["$;$", ";$"]],
)
def test_multivalue_round_trip_and_agrees_with_splunklib(values):
    encoded = scp.encode_multivalue(values)
    assert scp.decode_multivalue(encoded) == values
    assert SearchCommand._decode_list(encoded) == values


def test_quote():
    assert scp.quote("plain") == "plain"
    assert scp.quote('a "b", c\nd') == '"a ""b"", c\nd"'
    assert scp.unquote('"a ""b"", c\nd"') == 'a "b", c\nd'
    assert scp.unquote("1599165051") == "1599165051"


# --- record bodies ---------------------------------------------------------------------------------------------------

ALPHABET = ['a', 'Z', '0', ' ', ',', '"', '\n', '\r\n', '$', ';', 'ทt', '中', '😀', '\\', '\t', "'"]  # fmt: skip


def _random_text(rng, longest=12):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


def _random_body(rng, rows, newline="\n", quote_all=False):
    # field names never hold line breaks (splunkd's do not; such a header takes the general path)
    fields = [_random_text(rng, 6).replace("\n", "").replace("\r", "") or f"f{i}" for i in range(rng.randint(1, 6))]
    fields = list(dict.fromkeys(fields))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(fields)
    table = [[_random_text(rng) for _ in fields] for _ in range(rows)]
    writer.writerows(table)
    return fields, table, buffer.getvalue()


@pytest.mark.parametrize("seed", range(40))
def test_parse_records_agrees_with_csv_and_keeps_each_records_text(seed):
    rng = random.Random(seed)
    newline = "\r\n" if seed % 3 == 0 else "\n"
    fields, table, text = _random_body(rng, rng.randint(0, 40), newline, quote_all=seed % 2 == 0)
    wanted = rng.sample(fields, rng.randint(0, len(fields)))
    records = scp.parse_records(text, wanted)
    assert records.fields == fields
    assert records.rows == table
    assert len(records) == len(table)
    if len(fields) > 1 or all(row != [""] for row in table):  # csv writes a lone empty value as ""
        assert records.texts is not None, "well-formed CSV takes the fast path"
        assert records.header_text + newline + "".join(t + newline for t in records.texts) == text
    for name in fields:
        assert records.column(name) == [row[fields.index(name)] for row in table]
    for name in wanted:
        assert list(map(scp.unquote, records.written_column(name))) == records.column(name)


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2,3\n4\n",  # ragged rows
        'a,b\n"1"x,2\n',  # text after a closing quote
        'a,b\n1,"open\n',  # a quote that never closes
        'a,b\n1,x"y\n',  # a quote inside a bare value
        "a,b\n\n1,2\n\n",  # blank lines
        "a,b\n1,2\r\n",  # a stray carriage return
    ],
)
def test_irregular_bodies_take_the_general_path(text):
    records = scp.parse_records(text, ["a", "b"])
    assert records.texts is None
    assert all(len(row) == 2 for row in records.rows)
    body = scp.render_records(records, ["m", "__mv_m"], ["false", ""], {})
    assert body.startswith("a,b,m,__mv_m\r\n")
    assert all(line.endswith(",false,") for line in body.split("\r\n")[1:-1])


def test_nul_bytes_do_not_break_parsing():
    records = scp.parse_records('a,b\n"x\x00y",2\n', ["a"])
    assert records.texts == ['"x\x00y",2']
    assert records.rows == [["xy", "2"]]


def test_empty_bodies():
    assert len(scp.parse_records("")) == 0
    header_only = scp.parse_records('"_time",x,"__mv__time","__mv_x"\n')
    assert header_only.fields == ["_time", "x", "__mv__time", "__mv_x"]
    assert len(header_only) == 0
    assert scp.render_records(header_only, ["m"], ["false"], {}) == ""


def test_a_body_without_a_final_newline():
    records = scp.parse_records('a,b\n1,2\n3,"4"', ["b"])
    assert records.texts == ["1,2", '3,"4"']
    assert records.written_column("b") == ["2", '"4"']


def test_very_large_values():
    big = "x" * (12 * 1024 * 1024)  # beyond splunklib's 10 MB csv field limit
    text = f'a,b\n"{big}",1\n2,"{big}"\n'
    records = scp.parse_records(text, ["b"])
    assert records.column("b") == ["1", big]
    general = scp.parse_records(text.replace("\n2,", "\n2,3,"), ["b"])
    assert general.texts is None
    assert general.rows[0][0] == big


# --- rendering -------------------------------------------------------------------------------------------------------

ADDED = ["m", "c", "__mv_m", "__mv_c"]
DEFAULT = ["false", "", "", ""]


def test_render_appends_to_the_original_text():
    text = 'x,"y z"\n"1","a\nb"\n2,\n"3",""\n'
    records = scp.parse_records(text)
    body = scp.render_records(records, ADDED, DEFAULT, {1: ["true", 'cat, "q"', "", ""]})
    assert body == 'x,"y z",m,c,__mv_m,__mv_c\n"1","a\nb",false,,,\n2,,true,"cat, ""q""",,\n"3","",false,,,\n'


def test_render_filter_keeps_listed_records_in_order():
    records = scp.parse_records("x\n1\n2\n3\n")
    assert scp.render_records(records, ADDED, DEFAULT, {2: ["true", "b", "", ""], 0: ["true", "a", "", ""]}, True) == (
        "x,m,c,__mv_m,__mv_c\n1,true,a,,\n3,true,b,,\n"
    )
    assert scp.render_records(records, ADDED, DEFAULT, {}, True) == ""


def test_render_replaces_columns_that_already_exist():
    records = scp.parse_records("x,m,__mv_m,y\n1,old,$a$;$b$,2\n")
    body = scp.render_records(records, ADDED, DEFAULT, {})
    assert body == "x,y,m,c,__mv_m,__mv_c\r\n1,2,false,,,\r\n"


def test_render_keeps_the_tail_cache_between_bodies():
    cache = {}
    for text in ("x\n1\n", "x\n2\n"):
        scp.render_records(scp.parse_records(text), ADDED, DEFAULT, {0: ["true", "a", "", ""]}, tail_cache=cache)
    assert set(cache) == {("false", "", "", ""), ("true", "a", "", "")}
