"""splunkd's REST API on 127.0.0.1 (the container's published management port), with requests.

The container's management port and HEC use Splunk's self-signed certificate, so TLS is not verified; the client
refuses any host but 127.0.0.1. Errors name the endpoint and Splunk's message, never the credentials.
"""

import json
import time
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import quote, urlsplit

import requests
import urllib3

from tools.live_splunk.credentials import ADMIN, Credentials

LOCALHOST = "127.0.0.1"


class SplunkError(RuntimeError):
    pass


def _messages(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500]
    messages = body.get("messages") if isinstance(body, dict) else None
    if messages:
        return "; ".join(f"{m.get('type', '')}: {m.get('text', '')}" for m in messages)
    return json.dumps(body)[:500]


def _loopback_url(host: str, port: int) -> str:
    if host != LOCALHOST:
        raise ValueError("the live tier only talks to 127.0.0.1")
    return f"https://{host}:{port}"


def _session(auth: Optional[Tuple[str, str]]) -> requests.Session:
    quiet_tls_warnings()
    session = requests.Session()
    session.verify = False  # the container's self-signed certificate, on 127.0.0.1 only
    session.trust_env = False  # never send loopback traffic through a proxy from the environment
    if auth:
        session.auth = auth
    return session


def quiet_tls_warnings() -> None:
    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)


class Splunk:
    """One splunkd management port."""

    def __init__(self, port: int, credentials: Credentials, host: str = LOCALHOST, timeout: float = 300):
        self.base = _loopback_url(host, port)
        self.credentials = credentials
        self.timeout = timeout
        self.session = _session((ADMIN, credentials.password))

    # -- plumbing --------------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, expect: Sequence[int] = (200, 201), **kwargs) -> requests.Response:
        params = dict(kwargs.pop("params", None) or {})
        params.setdefault("output_mode", "json")
        try:
            response = self.session.request(
                method, self.base + path, params=params, timeout=kwargs.pop("timeout", self.timeout), **kwargs
            )
        except requests.RequestException as error:
            raise SplunkError(f"{method} {path}: {self.credentials.redact(str(error))}") from None
        if response.status_code not in expect:
            detail = self.credentials.redact(_messages(response))
            raise SplunkError(f"{method} {path}: HTTP {response.status_code}: {detail}")
        return response

    def get(self, path: str, **params) -> Dict[str, Any]:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, data: Any = None, expect: Sequence[int] = (200, 201), **kwargs) -> requests.Response:
        return self.request("POST", path, data=data, expect=expect, **kwargs)

    # -- server ----------------------------------------------------------------------------------------------------
    def answers(self) -> bool:
        """True when splunkd answers an authenticated request on the management port."""
        try:
            self.request("GET", "/services/server/info", timeout=10)
        except SplunkError:
            return False
        return True

    def startup_time(self) -> Optional[int]:
        try:
            info = self.request("GET", "/services/server/info", timeout=10).json()
        except (SplunkError, ValueError):
            return None
        return (info.get("entry") or [{}])[0].get("content", {}).get("startup_time")

    def restart(self, timeout: float = 600) -> None:
        """Restart splunkd and wait until it answers again (its startup time changes)."""
        before = self.startup_time()
        try:
            self.post("/services/server/control/restart")
        except SplunkError as error:
            if "HTTP " in str(error):
                raise
            # splunkd may drop the connection as it goes down: the wait below tells whether it restarted
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(5)
            now = self.startup_time()
            if now is not None and now != before:
                return
        raise SplunkError(f"splunkd did not come back within {timeout:.0f} s of the restart")

    def wait_kvstore(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        status = "unknown"
        while time.monotonic() < deadline:
            try:
                entry = (self.get("/services/kvstore/status").get("entry") or [{}])[0]
                status = entry.get("content", {}).get("current", {}).get("status", "unknown")
            except (SplunkError, ValueError):
                status = "unreachable"
            if status == "ready":
                return
            time.sleep(5)
        raise SplunkError(f"the KV store is not ready after {timeout:.0f} s (status {status})")

    # -- configuration ---------------------------------------------------------------------------------------------
    def install_app(self, path_in_container: str) -> None:
        """Install (or update) an app package that is already inside the container."""
        self.post("/services/apps/local", {"name": path_in_container, "filename": "true", "update": "true"})

    def app_version(self, app: str) -> str:
        entry = (self.get(f"/services/apps/local/{quote(app, safe='')}").get("entry") or [{}])[0]
        return str(entry.get("content", {}).get("version", ""))

    def create_index(self, name: str) -> None:
        self.post("/services/data/indexes", {"name": name}, expect=(200, 201, 409))  # 409: it exists already

    def set_macro(self, app: str, name: str, definition: str) -> None:
        """Set a macro's definition in the app (splunkd writes it to the app's local/macros.conf)."""
        namespace = f"/servicesNS/nobody/{quote(app, safe='')}"
        response = self.post(f"{namespace}/admin/macros/{quote(name, safe='')}", {"definition": definition},
                             expect=(200, 201, 404))  # fmt: skip
        if response.status_code == 404:  # older splunkd: the generic configuration endpoint
            self.post(f"{namespace}/configs/conf-macros/{quote(name, safe='')}", {"definition": definition})

    def saved_searches(self, app: str) -> Dict[str, str]:
        """Name -> search text of the app's saved searches (as splunkd reads them from the installed app)."""
        body = self.get(f"/servicesNS/-/{quote(app, safe='')}/saved/searches", count=0)
        return {
            entry["name"]: str(entry.get("content", {}).get("search", ""))
            for entry in body.get("entry") or []
            if entry.get("acl", {}).get("app") == app
        }

    def allow_hec_index(self, index: str) -> None:
        """Make sure the run's HEC token may write to ``index`` (a token with no index list may write anywhere)."""
        body = self.get("/services/data/inputs/http", count=0)
        for entry in body.get("entry") or []:
            content = entry.get("content", {})
            if content.get("token") != self.credentials.hec_token:
                continue
            allowed = content.get("indexes") or []
            allowed = [allowed] if isinstance(allowed, str) else list(allowed)
            if allowed and index not in allowed:
                edit = (entry.get("links") or {}).get("edit") or urlsplit(entry["id"]).path
                self.post(edit, {"indexes": ",".join([*allowed, index])})
            return
        raise SplunkError("the container's HEC token is not among splunkd's HTTP inputs")

    # -- KV store --------------------------------------------------------------------------------------------------
    def kv_replace(self, app: str, collection: str, rows: Iterable[Dict[str, Any]]) -> None:
        path = f"/servicesNS/nobody/{quote(app, safe='')}/storage/collections/data/{quote(collection, safe='')}"
        self.request("DELETE", path)
        rows = list(rows)
        if rows:
            self.post(path + "/batch_save", json.dumps(rows), headers={"Content-Type": "application/json"})

    # -- searches --------------------------------------------------------------------------------------------------
    def oneshot(self, app: str, spl: str, **times: Any) -> Tuple[List[Dict[str, Any]], List[Dict[str, str]]]:
        """(results, messages) of a blocking search in ``app``'s context. ``times``: earliest_time, latest_time,
        index_earliest, index_latest. A search whose first command is not generating gets ``search`` prepended."""
        text = spl.strip()
        if not text.startswith("|") and not text.startswith("search "):
            text = "search " + text
        data = {"search": text, "exec_mode": "oneshot", "count": 0}
        data.update({key: str(value) for key, value in times.items() if value is not None})
        response = self.post(f"/servicesNS/{ADMIN}/{quote(app, safe='')}/search/jobs", data, expect=(200, 201))
        body = response.json() if response.content.strip() else {}
        return list(body.get("results") or []), list(body.get("messages") or [])


class Hec:
    """The HTTP Event Collector's ``/services/collector/event`` on 127.0.0.1."""

    def __init__(self, port: int, credentials: Credentials, host: str = LOCALHOST, timeout: float = 120):
        self.base = _loopback_url(host, port)
        self.credentials = credentials
        self.timeout = timeout
        self.session = _session(None)
        self.session.headers["Authorization"] = "Splunk " + credentials.hec_token

    def healthy(self) -> bool:
        try:
            return self.session.get(self.base + "/services/collector/health", timeout=10).status_code == 200
        except requests.RequestException:
            return False

    def wait_healthy(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy():
                return
            time.sleep(3)
        raise SplunkError(f"HEC is not healthy after {timeout:.0f} s")

    def send(self, body: bytes) -> None:
        try:
            response = self.session.post(self.base + "/services/collector/event", data=body, timeout=self.timeout)
        except requests.RequestException as error:
            raise SplunkError(f"HEC: {self.credentials.redact(str(error))}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {"text": response.text[:300]}
        if response.status_code != 200 or answer.get("code") not in (0, None):
            raise SplunkError(f"HEC: HTTP {response.status_code}: {self.credentials.redact(json.dumps(answer))}")
