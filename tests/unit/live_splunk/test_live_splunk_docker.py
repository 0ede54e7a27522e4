"""The live tier's Docker side without Docker: the skip decision, the docker run arguments, the container's clean-up."""

import subprocess

import pytest

from tools.live_splunk import docker, run
from tools.live_splunk.credentials import Credentials


def completed(returncode=0, stdout="", stderr=""):
    return subprocess.CompletedProcess([], returncode, stdout, stderr)


class Recorder:
    """A stand-in for subprocess.run: answers from a table keyed by the docker sub-command, records the calls."""

    def __init__(self, answers=None, raises=None):
        self.answers = answers or {}
        self.raises = raises or {}
        self.calls = []

    def __call__(self, args, **kwargs):
        self.calls.append((list(args), kwargs))
        key = args[1] if args[1] != "image" else "image " + args[2]
        if key in self.raises:
            raise self.raises[key]
        return self.answers.get(key, completed())


def test_no_docker_cli_is_a_skip_with_a_reason():
    reason = docker.why_not(which=lambda name: None, run=Recorder())
    assert reason == "the docker CLI is not installed (the live-Splunk tier needs Docker)"


def test_docker_info_failing_is_a_skip_naming_the_engine_error():
    stderr = (
        "Client: ...\n"
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
    )
    runner = Recorder({"info": completed(1, stderr=stderr)})
    reason = docker.why_not(which=lambda name: "/usr/bin/docker", run=runner)
    assert reason.startswith("docker info failed: Cannot connect to the Docker daemon")
    assert "\n" not in reason
    assert [call[0][1] for call in runner.calls] == ["info"]


def test_docker_info_hanging_is_a_skip():
    runner = Recorder(raises={"info": subprocess.TimeoutExpired("docker", 60)})
    assert "did not answer" in docker.why_not(which=lambda name: "docker", run=runner)


def test_an_image_that_cannot_be_pulled_is_a_skip():
    runner = Recorder({"image inspect": completed(1), "pull": completed(1, stderr="toomanyrequests: rate limit\n")})
    reason = docker.why_not("splunk/splunk:latest", which=lambda name: "docker", run=runner)
    assert reason == "cannot pull splunk/splunk:latest: toomanyrequests: rate limit"


def test_a_present_image_needs_no_pull_and_a_missing_one_is_pulled():
    runner = Recorder()
    assert docker.why_not(which=lambda name: "docker", run=runner) is None
    assert [call[0][1] for call in runner.calls] == ["info", "image"]
    runner = Recorder({"image inspect": completed(1)})
    assert docker.why_not(which=lambda name: "docker", run=runner) is None
    assert runner.calls[-1][0][1:3] == ["pull", "--quiet"]


def test_the_container_publishes_on_loopback_only_and_takes_secrets_by_name():
    arguments = docker.run_arguments("splunk/splunk:latest", "c1", {8000: 8000, 8089: 0, 8088: 18088})
    published = [arguments[i + 1] for i, arg in enumerate(arguments) if arg == "--publish"]
    assert published == ["127.0.0.1:8000:8000", "127.0.0.1:18088:8088", "127.0.0.1::8089"]
    env = [arguments[i + 1] for i, arg in enumerate(arguments) if arg == "--env"]
    assert "SPLUNK_START_ARGS=--accept-license" in env
    assert "SPLUNK_PASSWORD" in env
    assert "SPLUNK_HEC_TOKEN" in env
    assert arguments[-1] == "splunk/splunk:latest"


def test_port_parsing_keeps_the_loopback_binding_only():
    assert docker.parse_port("127.0.0.1:32768\n") == 32768
    with pytest.raises(docker.DockerError):
        docker.parse_port("0.0.0.0:8089\n")


def test_secrets_reach_docker_through_the_environment_never_the_command_line():
    credentials = Credentials.generate()
    runner = Recorder()
    container = docker.Container("img", "c1", credentials, {8089: 8089}, run=runner)
    container.start({"PATH": "/usr/bin"})
    (args, kwargs) = runner.calls[0]
    assert credentials.password not in " ".join(args)
    assert credentials.hec_token not in " ".join(args)
    assert kwargs["env"]["SPLUNK_PASSWORD"] == credentials.password
    assert kwargs["env"]["SPLUNK_HEC_TOKEN"] == credentials.hec_token


def test_the_container_is_removed_when_the_run_fails():
    runner = Recorder()

    def failing_run():
        with docker.Container("img", "c1", Credentials.generate(), {}, run=runner) as container:
            container.start({})
            raise RuntimeError("a step failed")

    with pytest.raises(RuntimeError, match="a step failed"):
        failing_run()
    assert runner.calls[-1][0] == ["docker", "rm", "--force", "--volumes", "c1"]


def test_a_failed_docker_run_still_removes_what_it_may_have_created():
    runner = Recorder({"run": completed(125, stderr=b"port is already allocated")})
    container = docker.Container("img", "c1", Credentials.generate(), {}, run=runner)
    with pytest.raises(docker.DockerError, match="port is already allocated"), container:
        container.start({})
    assert runner.calls[-1][0][:2] == ["docker", "rm"]


def test_make_live_prints_one_skip_line_and_succeeds_without_docker(capsys):
    settings = run.Settings(image="splunk/splunk:latest")
    status = run.run(settings, why_not=lambda image: "docker info failed: Cannot connect to the Docker daemon")
    out = capsys.readouterr()
    assert status == 0
    assert out.out == "skipped: docker info failed: Cannot connect to the Docker daemon\n"
    assert out.err == ""


def test_preflight_exits_10_on_a_skip_and_a_required_run_fails(capsys):
    settings = run.Settings()
    assert run.preflight(settings, why_not=lambda image: "no engine") == run.EXIT_SKIPPED
    assert capsys.readouterr().out == "skipped: no engine\n"
    settings.required = True
    assert run.preflight(settings, why_not=lambda image: "no engine") == run.EXIT_ERROR
    assert run.run(settings, why_not=lambda image: "no engine") == run.EXIT_ERROR
    assert "LIVE_SPLUNK_REQUIRED" in capsys.readouterr().err


def test_settings_from_the_environment():
    settings = run.Settings.from_environment(
        {"LIVE_SPLUNK_IMAGE": "splunk/splunk:9.4", "LIVE_SPLUNK_MGMT_PORT": "0", "LIVE_SPLUNK_ONLY": "dcr_*,mfa_*",
         "LIVE_SPLUNK_REQUIRED": "1", "LIVE_SPLUNK_CONTAINER": "ta-auth0-live"}
    )  # fmt: skip
    assert settings.image == "splunk/splunk:9.4"
    assert settings.ports == {8000: 8000, 8089: 0, 8088: 8088}
    assert settings.only == ["dcr_*", "mfa_*"]
    assert settings.required
    assert settings.container == "ta-auth0-live"
    assert run.Settings.from_environment({}).container.startswith("ta-auth0-live-")


def test_generated_secrets_are_fresh_hidden_and_redactable():
    first, second = Credentials.generate(), Credentials.generate()
    assert first.password != second.password
    assert first.hec_token != second.hec_token
    assert len(first.password) >= 8
    assert first.password not in repr(first)
    assert first.hec_token not in repr(first)
    text = f"token {first.hec_token} password {first.password}"
    assert first.redact(text) == "token ******** password ********"
