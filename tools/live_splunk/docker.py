"""Docker: whether the live tier can run here, and the Splunk container's life cycle.

Every command goes through the ``docker`` CLI. The container publishes splunkd's ports on 127.0.0.1 only; the
admin password and HEC token reach it as environment variables passed by name (``-e NAME``, the value taken from
this process's environment), so they never appear on a command line.
"""

import shutil
import subprocess
import time
from typing import Callable, Dict, List, Optional, Sequence

from tools.live_splunk.credentials import Credentials

DEFAULT_IMAGE = "splunk/splunk:latest"
LABEL = "ta-auth0-live=1"
#: container port -> role
PORTS = {8000: "web", 8089: "management", 8088: "HEC"}
LOCALHOST = "127.0.0.1"

Runner = Callable[..., subprocess.CompletedProcess]


class DockerError(RuntimeError):
    pass


def _one_line(text: str, limit: int = 300) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def why_not(
    image: str = DEFAULT_IMAGE,
    pull: bool = True,
    which: Callable[[str], Optional[str]] = shutil.which,
    run: Runner = subprocess.run,
) -> Optional[str]:
    """None when the live tier can run here; otherwise one line saying why not.

    It needs the docker CLI, an engine that answers ``docker info``, and the image (pulled when missing and
    ``pull`` is true)."""
    docker = which("docker")
    if not docker:
        return "the docker CLI is not installed (the live-Splunk tier needs Docker)"
    try:
        info = run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "docker info did not answer within 60 s (is the Docker engine running?)"
    except OSError as error:
        return f"docker cannot be run: {error}"
    if info.returncode != 0:
        return f"docker info failed: {_one_line(info.stderr or info.stdout) or f'exit status {info.returncode}'}"
    present = run(
        [docker, "image", "inspect", "--format", "{{.Id}}", image], capture_output=True, text=True, timeout=60
    )
    if present.returncode == 0:
        return None
    if not pull:
        return f"the image {image} is not present and pulling is off"
    try:
        pulled = run([docker, "pull", "--quiet", image], capture_output=True, text=True, timeout=3600)
    except subprocess.TimeoutExpired:
        return f"pulling {image} took more than an hour"
    if pulled.returncode != 0:
        return f"cannot pull {image}: {_one_line(pulled.stderr or pulled.stdout) or f'exit status {pulled.returncode}'}"
    return None


def run_arguments(image: str, name: str, ports: Dict[int, int]) -> List[str]:
    """``docker run`` arguments (without ``docker``): ports on 127.0.0.1 only (host port 0: Docker picks one),
    license and general terms accepted, HEC on, secrets by name only."""
    arguments = ["run", "--detach", "--name", name, "--label", LABEL]
    for container_port, host_port in sorted(ports.items()):
        published = f"{LOCALHOST}:{host_port}:{container_port}" if host_port else f"{LOCALHOST}::{container_port}"
        arguments += ["--publish", published]
    arguments += [
        "--env",
        "SPLUNK_START_ARGS=--accept-license",
        "--env",
        "SPLUNK_GENERAL_TERMS=--accept-sgt-current-at-splunk-com",
        "--env",
        "SPLUNK_PASSWORD",
        "--env",
        "SPLUNK_HEC_TOKEN",
        image,
    ]
    return arguments


def parse_port(text: str) -> int:
    """The host port of ``docker port`` output, keeping only a 127.0.0.1 binding."""
    for line in text.splitlines():
        host, _, port = line.strip().rpartition(":")
        if host == LOCALHOST and port.isdigit():
            return int(port)
    raise DockerError(f"the port is not published on {LOCALHOST}: {text.strip()!r}")


class Container:
    """The Splunk container of one run. Use it as a context manager: leaving it removes the container, also when
    the run fails or is interrupted."""

    def __init__(
        self,
        image: str,
        name: str,
        credentials: Credentials,
        ports: Dict[int, int],
        run: Runner = subprocess.run,
        docker: str = "docker",
    ):
        self.image = image
        self.name = name
        self.credentials = credentials
        self.ports = dict(ports)
        self._run = run
        self._docker = docker
        self.started = False

    # -- plumbing --------------------------------------------------------------------------------------------------
    def docker(
        self,
        arguments: Sequence[str],
        env: Optional[Dict[str, str]] = None,
        input_bytes: Optional[bytes] = None,
        timeout: float = 300,
        check: bool = True,
    ) -> subprocess.CompletedProcess:
        result = self._run([self._docker, *arguments], capture_output=True, input=input_bytes, env=env, timeout=timeout)
        if check and result.returncode != 0:
            stderr = result.stderr.decode(errors="replace") if isinstance(result.stderr, bytes) else result.stderr
            raise DockerError(f"docker {arguments[0]} failed: {self.credentials.redact(_one_line(stderr))}")
        return result

    @staticmethod
    def _text(output) -> str:
        return output.decode(errors="replace") if isinstance(output, bytes) else (output or "")

    # -- life cycle ------------------------------------------------------------------------------------------------
    def start(self, environ: Dict[str, str]) -> None:
        env = dict(environ)
        env["SPLUNK_PASSWORD"] = self.credentials.password
        env["SPLUNK_HEC_TOKEN"] = self.credentials.hec_token
        self.started = True  # from here on, remove() is owed even if docker run fails half-way
        self.docker(run_arguments(self.image, self.name, self.ports), env=env, timeout=600)

    def remove(self) -> None:
        if self.started:
            self.docker(["rm", "--force", "--volumes", self.name], check=False, timeout=300)
            self.started = False

    def __enter__(self) -> "Container":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    # -- state -----------------------------------------------------------------------------------------------------
    def host_port(self, container_port: int) -> int:
        result = self.docker(["port", self.name, f"{container_port}/tcp"], timeout=60)
        return parse_port(self._text(result.stdout))

    def state(self) -> Dict[str, str]:
        """``running`` (true/false) and ``health`` (healthy, starting, unhealthy; empty without a health check)."""
        template = "{{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}"
        result = self.docker(["inspect", "--format", template, self.name], check=False, timeout=60)
        running, _, health = self._text(result.stdout).strip().partition(" ")
        return {"running": running, "health": health.strip()}

    def logs_tail(self, lines: int = 40) -> str:
        result = self.docker(["logs", "--tail", str(lines), self.name], check=False, timeout=60)
        return self.credentials.redact(self._text(result.stdout) + self._text(result.stderr))

    def wait_healthy(self, timeout: float, ready: Callable[[], bool], progress: Callable[[str], None]) -> None:
        """Until the container's health check passes (when the image has one) and ``ready()`` is true."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            state = self.state()
            if state["running"] != "true":
                raise DockerError(f"the Splunk container stopped while starting; its last lines:\n{self.logs_tail()}")
            if state["health"] != last:
                progress(f"container health: {state['health'] or '(no health check)'}")
                last = state["health"]
            if state["health"] in ("", "healthy") and ready():
                return
            time.sleep(5)
        raise DockerError(
            f"Splunk was not ready after {timeout:.0f} s; the container's last lines:\n{self.logs_tail()}"
        )

    # -- files -----------------------------------------------------------------------------------------------------
    def copy_in(self, source: str, destination: str) -> None:
        self.docker(["cp", source, f"{self.name}:{destination}"], timeout=300)
        # splunkd runs as the image's splunk user: make sure it can read the file docker cp created.
        self.docker(["exec", "--user", "root", self.name, "chmod", "0644", destination], check=False, timeout=60)

    def write_file(self, path: str, content: bytes, user: str = "root") -> None:
        """Write ``content`` over the existing file ``path`` inside the container (it keeps its owner and mode)."""
        self.docker(["exec", "--interactive", "--user", user, self.name, "sh", "-c", 'cat > "$0"', path],
                    input_bytes=content, timeout=120)  # fmt: skip
