"""Stand-ins for the Splunk container, splunkd and HEC, for the live tier's tests (no Docker, no network).

:class:`FakeSplunk` answers a detection's search with the reference engine's alerts of the case its
``auth0_index`` macro selects, after checking that the case's watchlist and lookups are in place, and answers
``| auth0watchlist`` searches with what ``ta_auth0.watchlist`` computes for the events sent to that source.
"""

import json
import re
import time
from typing import ClassVar

from tools.detections import placeholders
from tools.live_splunk import compare, detections, watchlist_check


class FakeCollector:
    def __init__(self):
        self.payloads = []

    def send(self, body):
        self.payloads += [json.loads(line) for line in body.splitlines()]

    def wait_healthy(self, timeout=0):
        return None


class FakeSplunk:
    def __init__(self, planned, collector, files, drop=(), fail=(), version="1.0.0"):
        self.by_source = {live.source: live for live in planned}
        self.collector = collector
        self.files = files
        self.drop = set(drop)
        self.fail = set(fail)
        self.version = version
        self.macro = None
        self.kv = []
        self.searches = []
        self.calls = []

    # -- server and configuration ----------------------------------------------------------------------------------
    def answers(self):
        return True

    def get(self, path, **params):
        assert path == "/services/server/info"
        return {"entry": [{"content": {"version": "10.0.0"}}]}

    def install_app(self, path):
        self.calls.append(("install_app", path))

    def restart(self):
        self.calls.append(("restart",))

    def wait_kvstore(self):
        self.calls.append(("wait_kvstore",))

    def app_version(self, app):
        return self.version

    def create_index(self, name):
        self.calls.append(("create_index", name))

    def allow_hec_index(self, name):
        self.calls.append(("allow_hec_index", name))

    def saved_searches(self, app):
        return {live.detection.name: "`auth0_logs` \\\n| stats count" for live in self.by_source.values()}

    def set_macro(self, app, name, definition):
        assert (app, name) == ("TA-auth0", "auth0_index")
        self.macro = definition

    def kv_replace(self, app, collection, rows):
        assert collection == "auth0_client_watchlist"
        self.kv = list(rows)

    # -- searches --------------------------------------------------------------------------------------------------
    def oneshot(self, app, spl, **times):
        if spl.startswith("| tstats"):
            counts = {}
            for payload in self.collector.payloads:
                counts[payload["source"]] = counts.get(payload["source"], 0) + 1
            return [{"source": s, "count": str(n)} for s, n in counts.items()], []
        self.searches.append((spl, times))
        source = re.fullmatch(r'index=auth0_live source="([^"]+)"', self.macro).group(1)
        if source == watchlist_check.SOURCE:
            return self._watchlist(spl, source), []
        live = self.by_source[source]
        if source in self.fail:
            raise detections.SplunkError("POST /servicesNS/admin/TA-auth0/search/jobs: HTTP 400: FATAL: Error in 'x'")
        assert self.kv == detections.watchlist_rows(live.case.watchlist)
        for name, lookup in placeholders.LOOKUPS.items():
            path = f"{detections.LOOKUP_DIR_IN_CONTAINER}/{lookup.filename}"
            wanted = live.case.lookups.get(name)
            assert self.files.get(path, detections.lookup_csv(lookup, None)) == detections.lookup_csv(lookup, wanted)
        rows = []
        for alert in live.reference()[1 if source in self.drop else 0 :]:
            fields = {name: alert[name] for name in compare.id_fields(live.detection.is_inventory)}
            rows.append({**fields, **alert["group"]})
        return rows, [{"type": "INFO", "text": "fine"}]

    def _watchlist(self, spl, source):
        (options,) = [opts for args, opts in watchlist_check.SEARCHES if watchlist_check.spl(args) == spl]
        events = [p["event"] for p in self.collector.payloads if p["source"] == source]
        wanted = watchlist_check.expected(self.kv, events, options, now=time.time())
        return [{"log_id": log_id, **{k: v for k, v in fields.items() if v}} for log_id, fields in wanted.items()]


class FakeContainer:
    """Records the life cycle; ``fail_at`` names a method that raises."""

    instances: ClassVar[list] = []

    def __init__(self, image, name, credentials, ports, fail_at=None):
        self.image, self.name, self.credentials, self.ports = image, name, credentials, ports
        self.fail_at = fail_at
        self.events = []
        self.files = {}
        FakeContainer.instances.append(self)

    def _record(self, what):
        self.events.append(what)
        if what == self.fail_at:
            raise RuntimeError(f"{what} failed")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._record("remove")

    def start(self, environ):
        self._record("start")

    def host_port(self, port):
        return {8000: 18000, 8089: 18089, 8088: 18088}[port]

    def wait_healthy(self, timeout, ready, progress):
        self._record("wait_healthy")
        assert ready()

    def copy_in(self, source, destination):
        self._record("copy_in")

    def write_file(self, path, content):
        self.files[path] = content
