"""The whole run's order, verdicts, report and teardown, with stand-ins for the container, splunkd and HEC."""

import json

import pytest
from live_fakes import FakeCollector, FakeContainer, FakeSplunk

from tools.live_splunk import plan, run
from tools.live_splunk.rest import SplunkError

ONLY = ["api_explorer_token_issued", "attack_protection_allowlist_unknown_ip", "dcr_enabled"]


@pytest.fixture
def live(monkeypatch, tmp_path):
    """Wires the fakes into tools.live_splunk.run; returns a dict the test fills (fail_at, drop) and reads."""
    state = {"fail_at": None, "drop": (), "psa": 0, "splunk": None}
    collector = FakeCollector()
    planned = plan.load(ONLY)

    def container(image, name, credentials, ports):
        return FakeContainer(image, name, credentials, ports, fail_at=state["fail_at"])

    def splunk(port, credentials):
        assert port == 18089
        files = FakeContainer.instances[-1].files
        drop = [p.source for p in planned if p.case.expect][:1] if state["drop"] else ()
        state["splunk"] = FakeSplunk(planned, collector, files, drop=drop, version=run.version())
        return state["splunk"]

    def psa_run(credentials, management_port, hec_port, junit):
        assert (management_port, hec_port) == (18089, 18088)
        return state["psa"]

    monkeypatch.setattr(run.docker, "Container", container)
    monkeypatch.setattr(run, "Splunk", splunk)
    monkeypatch.setattr(run, "Hec", lambda port, credentials: collector)
    monkeypatch.setattr(run.psa, "run", psa_run)
    monkeypatch.setattr(run.time, "sleep", lambda seconds: None)
    spl = tmp_path / "TA-auth0.spl"
    spl.write_bytes(b"package")
    state["settings"] = run.Settings(
        image="splunk/splunk:test", container="c1", spl=str(spl), only=list(ONLY), report_dir=str(tmp_path / "report")
    )
    FakeContainer.instances.clear()
    return state


def go(state):
    return run.run(state["settings"], why_not=lambda image: None)


def report(state):
    with open(state["settings"].report_dir + "/report.json", encoding="utf-8") as handle:
        return json.load(handle)


def test_a_clean_run_installs_checks_everything_and_removes_the_container(live, capsys):
    assert go(live) == run.EXIT_OK
    (container,) = FakeContainer.instances
    assert container.events == ["start", "wait_healthy", "copy_in", "remove"]
    splunk = live["splunk"]
    assert [call[0] for call in splunk.calls] == ["install_app", "restart", "wait_kvstore", "create_index",
                                                   "allow_hec_index"]  # fmt: skip
    assert splunk.macro == "index=*"  # the shipped definition again
    assert splunk.kv == []
    data = report(live)
    assert data["detection_counts"]["mismatch"] == data["detection_counts"]["error"] == 0
    assert data["detection_counts"]["ok"] == len(plan.load(ONLY))
    assert data["watchlist"] == []
    assert data["pytest_splunk_addon"] == 0
    out = capsys.readouterr().out
    assert "live Splunk: everything agrees" in out
    assert "  ok    | auth0watchlist category=critical" in out


def test_differences_make_the_run_fail_but_still_tear_down(live, capsys):
    live["drop"] = True
    live["psa"] = 1
    assert go(live) == run.EXIT_DIFFERENCES
    assert FakeContainer.instances[-1].events[-1] == "remove"
    out = capsys.readouterr().out
    assert "FAILED: detections: 1 cases differ, 0 failed" in out
    assert "FAILED: pytest-splunk-addon tier: exit status 1" in out
    assert report(live)["detection_counts"]["mismatch"] == 1


def test_a_step_that_breaks_ends_the_run_removes_the_container_and_keeps_secrets_out(live, monkeypatch, capsys):
    def broken(self, path):
        raise SplunkError(f"POST /services/apps/local: HTTP 400: cannot install {path}")

    monkeypatch.setattr(FakeSplunk, "install_app", broken)
    assert go(live) == run.EXIT_ERROR
    assert FakeContainer.instances[-1].events == ["start", "wait_healthy", "copy_in", "remove"]
    err = capsys.readouterr().err
    assert err.startswith("error: POST /services/apps/local: HTTP 400")
    credentials = FakeContainer.instances[-1].credentials
    text = json.dumps(report(live)) + err
    assert credentials.password not in text
    assert credentials.hec_token not in text


def test_a_missing_package_is_an_error_before_docker_starts(live, capsys):
    live["settings"].spl = "/nonexistent/TA-auth0-0.0.0.spl"
    assert go(live) == run.EXIT_ERROR
    assert FakeContainer.instances == []
    assert "make package" in capsys.readouterr().err


def test_an_unexpected_failure_is_a_run_error_not_a_difference(live, capsys):
    live["fail_at"] = "copy_in"
    assert go(live) == run.EXIT_ERROR
    assert FakeContainer.instances[-1].events[-1] == "remove"
    assert capsys.readouterr().err.splitlines()[-1] == "error: RuntimeError: copy_in failed"


def test_the_pytest_splunk_addon_tier_gets_the_container_through_conftest_variables():
    credentials = run.Credentials.generate()
    env = run.psa.environment(credentials, 18089, 18088)
    assert env["SPLUNK_HOST"] == "127.0.0.1"
    assert (env["SPLUNK_PORT"], env["SPLUNK_HEC_PORT"]) == ("18089", "18088")
    assert (env["SPLUNK_USER"], env["SPLUNK_PASSWORD"]) == ("admin", credentials.password)
    assert env["SPLUNK_HEC_TOKEN"] == credentials.hec_token
    assert env["SPLUNK_SEARCH_INDEX"] == "main"
    command = run.psa.command("/venv/bin/python", "/tmp/x.xml")
    assert command[:4] == ["/venv/bin/python", "-m", "pytest", run.os.path.join(run.ROOT, "tests", "knowledge")]
    assert credentials.password not in " ".join(command)
    assert command[command.index("--rootdir") + 1] == run.ROOT
    assert command[-2:] == ["--junitxml", "/tmp/x.xml"]
