"""The live run, step by step, with the container always removed at the end.

Exit status: 0 when everything agreed (or the tier was skipped: no Docker here), 1 when a detection, the
watchlist command or the pytest-splunk-addon tier disagreed, 2 when the run could not be carried out (or was
skipped while ``LIVE_SPLUNK_REQUIRED`` is set). ``preflight`` exits 10 for a skip, so ``make live`` can stop before
building the package.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from tools.live_splunk import detections, docker, plan, psa, watchlist_check
from tools.live_splunk.credentials import Credentials
from tools.live_splunk.docker import DockerError
from tools.live_splunk.rest import Hec, Splunk, SplunkError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXIT_OK, EXIT_DIFFERENCES, EXIT_ERROR, EXIT_SKIPPED = 0, 1, 2, 10
APP_PATH_IN_CONTAINER = "/tmp/TA-auth0.spl"  # inside the disposable container


def version() -> str:
    with open(os.path.join(ROOT, "globalConfig.json"), encoding="utf-8") as handle:
        return str(json.load(handle)["meta"]["version"])


def default_spl() -> str:
    return os.path.join(ROOT, "dist", f"TA-auth0-{version()}.spl")


def _flag(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Settings:
    image: str = docker.DEFAULT_IMAGE
    container: str = ""
    ports: Dict[int, int] = field(default_factory=lambda: {8000: 8000, 8089: 8089, 8088: 8088})
    required: bool = False
    spl: str = ""
    only: List[str] = field(default_factory=list)
    skip_psa: bool = False
    report_dir: str = os.path.join(ROOT, "dist", "live-splunk")

    @classmethod
    def from_environment(cls, environ: Dict[str, str]) -> "Settings":
        """``LIVE_SPLUNK_*`` variables (see docs/live-splunk.md); the command line may override them."""
        ports = {
            8000: int(environ.get("LIVE_SPLUNK_WEB_PORT") or 8000),
            8089: int(environ.get("LIVE_SPLUNK_MGMT_PORT") or 8089),
            8088: int(environ.get("LIVE_SPLUNK_HEC_PORT") or 8088),
        }
        only = [p for p in (environ.get("LIVE_SPLUNK_ONLY") or "").replace(",", " ").split() if p]
        return cls(
            image=environ.get("LIVE_SPLUNK_IMAGE") or docker.DEFAULT_IMAGE,
            container=environ.get("LIVE_SPLUNK_CONTAINER") or f"ta-auth0-live-{secrets.token_hex(4)}",
            ports=ports,
            required=_flag(environ.get("LIVE_SPLUNK_REQUIRED")),
            only=only,
            skip_psa=_flag(environ.get("LIVE_SPLUNK_SKIP_PSA")),
        )


def skip_message(reason: str, required: bool) -> str:
    if required:
        return f"error: the live-Splunk tier cannot run: {reason} (LIVE_SPLUNK_REQUIRED is set)"
    return f"skipped: {reason}"


def preflight(settings: Settings, why_not: Callable[..., Optional[str]] = docker.why_not) -> int:
    reason = why_not(settings.image)
    if reason is None:
        print(f"live Splunk: Docker answers and {settings.image} is available")
        return EXIT_OK
    print(skip_message(reason, settings.required), file=sys.stderr if settings.required else sys.stdout)
    return EXIT_ERROR if settings.required else EXIT_SKIPPED


def _on_sigterm(signum, frame):  # pragma: no cover - signal plumbing
    raise SystemExit(EXIT_ERROR)


def say(text: str) -> None:
    print(text, flush=True)


class Run:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.credentials = Credentials.generate()
        self.report: Dict[str, Any] = {"image": settings.image, "spl": settings.spl, "steps": []}
        self.failures: List[str] = []

    def step(self, title: str) -> None:
        say(f"==> {title}")
        self.report["steps"].append(title)

    def execute(self) -> int:
        settings = self.settings
        container = docker.Container(settings.image, settings.container, self.credentials, settings.ports)
        with container:
            self.step(f"start {settings.image} as {settings.container} (ports on 127.0.0.1 only)")
            container.start(dict(os.environ))
            ports = {port: container.host_port(port) for port in docker.PORTS}
            self.report["ports"] = ports
            splunk = Splunk(ports[8089], self.credentials)
            collector = Hec(ports[8088], self.credentials)
            self.step(f"wait until splunkd answers on 127.0.0.1:{ports[8089]}")
            container.wait_healthy(1200, splunk.answers, lambda text: say(f"    {text}"))
            info = splunk.get("/services/server/info")
            self.report["splunk_version"] = (info.get("entry") or [{}])[0].get("content", {}).get("version")
            say(f"    Splunk {self.report['splunk_version']}")

            self.step(f"install {os.path.basename(settings.spl)} through /services/apps/local and restart")
            container.copy_in(settings.spl, APP_PATH_IN_CONTAINER)
            splunk.install_app(APP_PATH_IN_CONTAINER)
            splunk.restart()
            splunk.wait_kvstore()
            collector.wait_healthy()
            installed = splunk.app_version(detections.APP)
            self.report["installed_version"] = installed
            if installed != version():
                raise SplunkError(f"splunkd reports {detections.APP} {installed!r}, expected {version()!r}")

            self.step(f"create index {detections.INDEX}")
            splunk.create_index(detections.INDEX)
            splunk.allow_hec_index(detections.INDEX)

            runner = self.run_detections(splunk, collector, container)

            self.step("| auth0watchlist over watchlisted events (KV store filled through REST)")
            differences = watchlist_check.run(splunk, collector, runner.wait_indexed, detections.INDEX,
                                              detections.APP, say)  # fmt: skip
            self.report["watchlist"] = differences
            if differences:
                self.failures.append(f"auth0watchlist: {len(differences)} difference(s)")
            splunk.set_macro(detections.APP, "auth0_index", "index=*")  # the shipped definition again

            if settings.skip_psa:
                say("==> pytest-splunk-addon tier skipped (LIVE_SPLUNK_SKIP_PSA)")
            else:
                self.step("pytest-splunk-addon tier (tests/knowledge)")
                junit = os.path.join(settings.report_dir, "pytest-splunk-addon.xml")
                status = psa.run(self.credentials, ports[8089], ports[8088], junit)
                self.report["pytest_splunk_addon"] = status
                if status != 0:
                    self.failures.append(f"pytest-splunk-addon tier: exit status {status}")
            self.step(f"remove the container {settings.container}")
        return EXIT_DIFFERENCES if self.failures else EXIT_OK

    def run_detections(self, splunk: Splunk, collector: Hec, container: docker.Container) -> detections.Runner:
        planned = plan.load(self.settings.only)
        shift = plan.shift_all(planned, time.time())
        self.step(f"send {sum(p.event_count for p in planned)} test events of {len(planned)} cases through HEC")
        if shift:
            say(f"    every event moved {-shift // plan.WEEK} week(s) back so that all are in the past")
        runner = detections.Runner(splunk, collector, container.write_file, say)
        started, ended = runner.ingest(planned)
        say(f"    searchable after {ended - started:.1f} s")
        self.step(f"run {len({p.slug for p in planned})} detections' saved searches, one case at a time")
        time.sleep(2)  # the searches' latest time (end of ingestion + 1 s) is then in the past
        outcomes = runner.run(planned, plan.time_bounds(planned) or started, started, ended)
        self.report["detections"] = [outcome.to_json() for outcome in outcomes]
        counts = {status: sum(o.status == status for o in outcomes) for status in ("ok", "mismatch", "error")}
        self.report["detection_counts"] = counts
        say(f"    {counts['ok']} cases agree, {counts['mismatch']} differ, {counts['error']} failed")
        if counts["mismatch"] or counts["error"]:
            self.failures.append(f"detections: {counts['mismatch']} cases differ, {counts['error']} failed")
        return runner

    def write_report(self) -> Optional[str]:
        os.makedirs(self.settings.report_dir, exist_ok=True)
        path = os.path.join(self.settings.report_dir, "report.json")
        text = self.credentials.redact(json.dumps(self.report, indent=2, default=str))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        return path


def run(settings: Settings, why_not: Callable[..., Optional[str]] = docker.why_not) -> int:
    reason = why_not(settings.image)
    if reason is not None:
        print(skip_message(reason, settings.required), file=sys.stderr if settings.required else sys.stdout)
        return EXIT_ERROR if settings.required else EXIT_OK
    settings.spl = os.path.abspath(settings.spl or default_spl())
    if not os.path.isfile(settings.spl):
        print(f"error: {settings.spl} does not exist: build it with make package (make live does)", file=sys.stderr)
        return EXIT_ERROR
    signal.signal(signal.SIGTERM, _on_sigterm)
    live = Run(settings)
    try:
        status = live.execute()
    except (DockerError, SplunkError, ValueError, OSError, subprocess.SubprocessError) as error:
        live.report["error"] = str(error)
        print(f"error: {live.credentials.redact(str(error))}", file=sys.stderr)
        status = EXIT_ERROR
    except Exception as error:  # a bug or an answer of an unexpected shape: still a run error, not a difference
        live.report["error"] = f"{type(error).__name__}: {error}"
        print(live.credentials.redact(traceback.format_exc()), file=sys.stderr, end="")
        print(f"error: {live.credentials.redact(live.report['error'])}", file=sys.stderr)
        status = EXIT_ERROR
    path = live.write_report()
    for failure in live.failures:
        say(f"FAILED: {failure}")
    if status == EXIT_OK:
        say(f"live Splunk: everything agrees (report: {os.path.relpath(path, ROOT)})")
    else:
        say(f"live Splunk: see {os.path.relpath(path, ROOT)}")
    return status
