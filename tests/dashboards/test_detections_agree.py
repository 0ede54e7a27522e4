"""The views count what the detections count.

* DCR: the chart, the peak and the bursts of ``auth0_dcr`` use the sliding count of the detection *Auth0 - Dynamic
  client registration burst* (per tenant, per minute step, summed over the trailing window). Its reference engine
  (pySigma's SQLite backend, :class:`tools.detections.engine.Engine`) must count, per tenant, the peak the chart
  shows, over the registrations the fixtures hold (the demo scenario's) and over a simulated scenario derived the
  way the fixtures are; and the rendered chart must draw the demo burst above the threshold line.
* Copied credentials: a *client-secret read* is what the detections *Client secret read* match, not every
  ``mgmt_api_read``.
"""

import json
import re
import time

import pytest

from tests.dashboards import derive_fixtures as derive
from tests.dashboards.views import load_views
from tools.auth0_sim import SimulatedTenant, scenarios
from tools.detections import model
from tools.detections.engine import Engine
from tools.knowledge.searchtime import read_saved_searches

BURST = "Auth0 - Dynamic client registration burst - Rule"
SECRET_READS = ("Auth0 - Client secret read - Rule", "Auth0 - Client secret of a critical application read - Rule")
DCR_CHART = "viz_dcr_over_time"
THRESHOLD_SERIES = "burst threshold"
VIEWS = {view.name: view for view in load_views()}
DETECTIONS = {detection.name: detection for detection in model.load_all()}
THRESHOLD = int(derive.macro_value(derive.DCR_THRESHOLD_MACRO))


def dcr_fixtures():
    return VIEWS["auth0_dcr"].fixtures()


def chart_peaks(over_time: dict) -> dict:
    """tenant -> the highest bar of the DCR chart (its series are the tenants, plus the threshold line)."""
    fields = over_time["fields"]
    return {
        field: max(row[i] for row in over_time["rows"])
        for i, field in enumerate(fields)
        if field not in ("_time", THRESHOLD_SERIES)
    }


def detection_counts(envelopes) -> dict:
    """tenant -> the registrations the burst detection counts in its alerts (the largest alert per tenant).

    The engine merges overlapping windows over the threshold into one alert, so an alert's count is one window's
    count only when its registrations fit in one window: checked here, so that the count is the peak."""
    window = derive.DCR_WINDOW_MIN * 60
    counts = {}
    for alert in Engine(envelopes).run(DETECTIONS[BURST]):
        span = derive.parse_date(alert["last_seen"]) - derive.parse_date(alert["first_seen"])
        assert span < window, f"the alert spans {span} s: its count is not one window's"
        tenant = alert["group"]["tenant"]
        counts[tenant] = max(counts.get(tenant, 0), alert["count"])
    return counts


def fixture_envelopes(base: dict):
    """Log Streams envelopes of the registrations ``ds_base_dcr`` holds (one row per registration)."""
    for number, row in enumerate(base["rows"]):
        record = dict(zip(base["fields"], row))
        yield {
            "log_id": f"9000000000000000000000000{number:08d}",
            "data": {
                "date": record["_time"].replace(".000+00:00", ".000Z"),
                "type": "sapi",
                "description": "Dynamic client registration",
                "ip": record["src"],
                "details": {"response": {"body": {"client_id": record["client_id"]}}},
                "tenant_name": record["tenant"],
            },
        }


# -- DCR: the committed fixtures (the demo scenario) -------------------------------------------------------------


def test_the_dcr_chart_peaks_at_what_the_detection_counts_on_the_demo():
    fixtures = dcr_fixtures()
    peaks = chart_peaks(fixtures["ds_dcr_over_time"])
    assert peaks == detection_counts(fixture_envelopes(fixtures["ds_base_dcr"]))
    assert peaks == {"acme": 24}  # the demo burst, whole, in one bar (fixed clock hours split it)
    assert fixtures["ds_dcr_kpi_peak"]["rows"] == [[max(peaks.values())]]
    bursts = [dict(zip(fixtures["ds_dcr_bursts"]["fields"], row)) for row in fixtures["ds_dcr_bursts"]["rows"]]
    assert {b["tenant"]: b["peak_in_window"] for b in bursts} == peaks


def test_the_dcr_chart_draws_the_detection_threshold_and_the_demo_burst_is_above_it():
    over_time = dcr_fixtures()["ds_dcr_over_time"]
    column = over_time["fields"].index(THRESHOLD_SERIES)
    assert {row[column] for row in over_time["rows"]} == {THRESHOLD}
    assert max(chart_peaks(over_time).values()) > THRESHOLD


def test_the_rendered_dcr_chart_draws_the_demo_burst_above_the_threshold_line(rendered):
    run, report = rendered
    assert report, f"dashboard harness failed:\n{run.stdout}\n{run.stderr}"
    (result,) = [r for r in report["results"] if r["view"] == "auth0_dcr"]
    tops = result["visualizations"][DCR_CHART]["series"]  # SVG y of each series' highest point: smaller is higher
    assert set(tops) == {THRESHOLD_SERIES, *chart_peaks(dcr_fixtures()["ds_dcr_over_time"])}
    threshold_line = tops.pop(THRESHOLD_SERIES)
    assert min(tops.values()) < threshold_line


# -- DCR: a simulated scenario, derived the way the fixtures are -------------------------------------------------


@pytest.fixture(scope="module")
def two_tenants(tmp_path_factory):
    """The simulator's demo scenario in two tenants, as a file of Log Streams envelopes: acme gets the demo burst
    (24 registrations); globex, at the same time, 10: together over the threshold, each tenant alone only acme."""
    end = time.time() - 60
    path = tmp_path_factory.mktemp("dcr") / "events.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for number, (domain, count) in enumerate((("acme.us.auth0.com", 24), ("globex.eu.auth0.com", 10))):
            tenant = SimulatedTenant(domain, retention_days=30, seed=7 + number)
            scenarios.ensure_catalog(tenant, 7 + number)
            scenarios.generate_traffic(tenant, count=300, start=end - 86400, end=end, seed=7, return_logs=False)
            scenarios.add_attacks(tenant, at=end - 43200, seed=7, dcr_count=count)
            for log in tenant.logs:
                log_id = f"90{number}{log['log_id'][3:]}"  # the simulated tenants number their logs alike
                handle.write(json.dumps({"log_id": log_id, "data": dict(log, log_id=log_id)}) + "\n")
    return str(path)


def read_envelopes(path: str) -> list:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def variant(envelope: dict, log_id: str, **data) -> dict:
    """A copy of an envelope with another log_id and some data fields replaced."""
    copy = json.loads(json.dumps(envelope))
    copy["data"].update(data, log_id=log_id)
    copy["log_id"] = log_id
    return copy


def test_the_sliding_count_per_tenant_is_the_detections_over_a_simulated_scenario(two_tenants):
    base = derive.dcr_base(derive.load_events(two_tenants))
    sliding = derive.dcr_sliding(base, derive.DCR_WINDOW_MIN)
    peaks = {}
    for window in sliding:
        peaks[window["tenant"]] = max(peaks.get(window["tenant"], 0), window["in_window"])
    assert peaks == {"acme": 24, "globex": 10}
    assert detection_counts(read_envelopes(two_tenants)) == {tenant: n for tenant, n in peaks.items() if n >= THRESHOLD}
    assert {row[2] for row in derive.dcr_bursts(sliding, THRESHOLD)} == {"acme"}


# -- copied credentials -----------------------------------------------------------------------------------------


def detection_search(name: str) -> str:
    return read_saved_searches()[name]["search"]


def test_the_credentials_view_counts_the_secret_reads_the_detection_matches():
    search = detection_search(SECRET_READS[0])
    descriptions = re.search(r"data\.description IN \(([^)]*)\)", search).group(1)
    read = re.search(r'spath output="data\.details\.accessedSecrets\{\}" path="[^"]+"', search).group(0)
    secret = re.search(r'data\.details\.accessedSecrets\{\}="client_secret"', search).group(0)
    base = VIEWS["auth0_copied_credentials"].data_sources["ds_base_credentials"]["options"]["query"]
    assert f'data.type="mgmt_api_read" data.description IN ({descriptions})' in base
    assert f"| {read}\n" in base  # past Splunk's automatic extraction cut-off, as the detection reads it
    assert f'| search data.type="seccft" OR {secret}\n' in base
    assert tuple(re.findall(r'"([^"]+)"', descriptions)) == derive.SECRET_READ_DESCRIPTIONS


def test_the_derived_secret_reads_are_the_detections_over_a_simulated_scenario(two_tenants):
    envelopes = read_envelopes(two_tenants)
    read = next(e for e in envelopes if derive.is_secret_read({"type": e["data"]["type"], "data": e["data"]}))
    # the same read without the secret, and a list of clients that returned the secret: no secret read
    details = {key: value for key, value in read["data"]["details"].items() if key != "accessedSecrets"}
    no_secret = variant(read, "no-secret", details=details)
    listing = variant(read, "listing", description="Get clients")
    events = [*envelopes, no_secret, listing]
    engine = Engine(events)
    matched = {log_id for name in SECRET_READS for alert in engine.run(DETECTIONS[name]) for log_id in alert["log_ids"]}
    derived = {e["log_id"] for e in events if derive.is_secret_read({"type": e["data"]["type"], "data": e["data"]})}
    assert matched == derived
    assert read["log_id"] in derived
    assert no_secret["log_id"] not in derived
    assert listing["log_id"] not in derived
