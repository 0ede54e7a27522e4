"""The command file the build ships, run as splunkd runs it: a subprocess spoken to chunk by chunk.

The test builds the add-on itself (``ucc-gen build`` into a temporary directory, about 3 s, with a copy of
globalConfig.json so the source file is not rewritten): that checks what UCC's customSearchCommand generates and
that our bin/auth0watchlist.py replaces the generated wrapper, and it runs the built file with the built lib/.
When the build cannot run here (no ucc-gen, pip unable to install the libraries), an existing output/TA-auth0 is
used instead, and without one the tests skip and say why. The command then runs under every Python that Splunk
uses and this machine has (3.9 and 3.13 next to the test's own).
"""

import glob
import os
import shutil
import subprocess
import sys

import pytest
from watchlist_splunkd import SESSION_KEY, converse, fake_splunkd, h

pytestmark = pytest.mark.slow

ADDON = "TA-auth0"


def _build(directory):
    config = os.path.join(directory, "globalConfig.json")
    shutil.copy(os.path.join(h.ROOT, "globalConfig.json"), config)
    ucc_gen = os.path.join(os.path.dirname(sys.executable), "ucc-gen")
    if not os.path.exists(ucc_gen):
        return None, f"no ucc-gen next to {sys.executable}"
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    command = [ucc_gen, "build", "--source", "package", "--config", config, "--ta-version", "0.1.0",
               "--pip-version", "26.2", "-o", os.path.join(directory, "output"), "-v"]  # fmt: skip
    run = subprocess.run(command, cwd=h.ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    if run.returncode != 0:
        return None, f"ucc-gen build failed: {(run.stdout + run.stderr)[-1500:]}"
    return os.path.join(directory, "output", ADDON), run.stdout + run.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    addon, log = _build(str(tmp_path_factory.mktemp("build")))
    if addon is None:
        existing = os.path.join(h.ROOT, "output", ADDON)
        if not os.path.exists(os.path.join(existing, "bin", "auth0watchlist.py")):
            pytest.skip(f"cannot build the add-on here ({log}) and there is no output/{ADDON}")
        addon, log = existing, ""
    return addon, log


def _pythons():
    """This Python, and Splunk's 3.9 and 3.13 when this machine has them."""
    found = {f"{sys.version_info[0]}.{sys.version_info[1]}": sys.executable}
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for version in ("3.9", "3.13"):
        candidates = [shutil.which(f"python{version}")]
        candidates += sorted(glob.glob(os.path.join(pyenv, "versions", f"{version}.*", "bin", f"python{version}")))
        for candidate in filter(None, candidates):
            ok = subprocess.run([candidate, "-c", "import sys"], capture_output=True, check=False).returncode == 0
            if ok and version not in found:
                found[version] = candidate
    return found


PYTHONS = _pythons()


def test_the_build_ships_our_command_and_ucc_generates_its_confs(built):
    addon, log = built
    shipped, ours = os.path.join(addon, "bin", "auth0watchlist.py"), os.path.join(h.BIN, "auth0watchlist.py")
    with open(shipped, "rb") as built_file, open(ours, "rb") as source_file:
        assert built_file.read() == source_file.read(), "the generated splunklib wrapper must not ship"
    assert os.path.exists(os.path.join(addon, "bin", "auth0_watchlist_stream.py"))
    with open(os.path.join(addon, "default", "commands.conf"), encoding="utf-8") as handle:
        commands = handle.read()
    assert "[auth0watchlist]\nfilename = auth0watchlist.py\nchunked = true\n" in commands
    assert "python.required = 3.9, 3.13" in commands
    with open(os.path.join(addon, "default", "searchbnf.conf"), encoding="utf-8") as handle:
        searchbnf = handle.read()
    assert "[auth0watchlist-command]" in searchbnf
    assert "example1 = " in searchbnf
    assert "description = " in searchbnf
    if log:
        assert "default/commands.conf" in log
        assert "bin/auth0watchlist.py" in log


@pytest.fixture(params=sorted(PYTHONS))
def command(request, built):
    addon, _ = built
    return [PYTHONS[request.param], os.path.join(addon, "bin", "auth0watchlist.py")]


def test_a_search_chunk_by_chunk_reading_the_kv_store(command, tmp_path):
    login = {"_time": "1", "data.type": "s", "data.client_id": h.OTHER}
    secret_read = {"_time": "2", "data.type": "mgmt_api_read", "data.details.response.body.client_id": h.CRITICAL,
                   "data.description": "ข้อความ"}  # fmt: skip
    token = {"_time": "3", "data.type": "seccft", "data.client_id": h.EXPLORER, "data.scope": ["a", "b"]}
    with fake_splunkd("https", tmp_path) as splunkd:
        chunks = [
            h.getinfo([], splunkd_uri=splunkd.uri, session_key=SESSION_KEY),
            h.execute(h.splunkd_body([login, secret_read])),
            h.execute(h.splunkd_body([token]).replace(b'"3"', b'"3\xff"')),  # and a byte that is not UTF-8
            h.execute(b"", finished=True),
        ]
        status, answers, errors = converse(command, chunks)
        requests = len(splunkd.requests)
    assert status == 0, errors
    assert requests == 2  # the watchlist is read once: one page, one empty page
    assert answers[0][0]["type"] == "stateful"
    assert [m.get("finished") for m, _ in answers[1:]] == [False, False, True]
    first = h.records_of(answers[1][1])[1]
    assert [r["watchlist_match"] for r in first] == ["false", "true"]
    assert first[1]["data.description"] == "ข้อความ"
    assert b'"3\xff"' in answers[2][1]
    second = h.records_of(answers[2][1], encoding_errors="surrogateescape")[1]
    assert second[0]["watchlist_category"] == "api_explorer"
    assert second[0]["data.scope"] == ["a", "b"]


def test_bad_options_and_an_unreachable_kv_store_stop_the_search(command):
    status, answers, _ = converse(command, [h.getinfo(["mode=everything"]), h.execute(b"", finished=True)])
    assert status == 1
    assert len(answers) == 1
    assert h.messages(answers[0][0])[0] == ("ERROR", "auth0watchlist: mode=everything is not a mode: use "
                                            "mode=annotate (the default) or mode=filter.")  # fmt: skip
    status, answers, errors = converse(command, [h.getinfo(splunkd_uri="https://127.0.0.1:9"), h.execute(b"")])
    assert status == 1
    ((level, text),) = h.messages(answers[0][0])
    assert level == "ERROR"
    assert text.startswith("auth0watchlist: cannot reach splunkd to read the KV store collection")
    assert "Traceback" not in errors


@pytest.mark.skipif(not os.path.exists(h.RECORDING), reason=f"splunkd recording not found at {h.RECORDING}")
def test_the_splunkd_recording_chunk_by_chunk(command, tmp_path):
    import gzip

    with gzip.open(h.RECORDING, "rb") as handle:
        recording = handle.read()
    chunks = [h.chunk(m, b) for m, b in h.read_answers(recording)]
    assert len(chunks) == 10
    with fake_splunkd("http", tmp_path) as splunkd:
        first = h.read_answers(chunks[0])[0][0]
        first["searchinfo"].update(splunkd_uri=splunkd.uri, session_key=SESSION_KEY)
        status, answers, errors = converse(command, [h.chunk(first), *chunks[1:]])
    assert status == 0, errors
    assert len(answers) == 10
    assert [m.get("finished") for m, _ in answers[1:]] == [False] * 8 + [True]
    for data, (_, body) in zip(chunks[1:], answers[1:]):
        _, body_in = h.read_answers(data)[0]
        records_in = h.records_of(body_in)[1]
        records_out = h.records_of(body)[1]
        assert [{k: r[k] for k in r if not k.startswith("watchlist_")} for r in records_out] == records_in
