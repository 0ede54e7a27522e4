"""A burst that straddles a clock hour alerts: in SQLite by the correlation's own window, and the generated SPL
counts it the same way (a sliding window stepped by a sixtieth of its span, never fixed bins)."""

import collections
import datetime
import re

from tools.detections import cases, model, spl
from tools.detections.engine import Engine

DCR = model.load(f"{model.DETECTIONS}/dcr_registration_burst/rule.yml")


def straddling_burst():
    # 15 registrations, one every two minutes from 09:41 to 10:09: 10 in the 09:00 hour, 5 in the 10:00 hour.
    return cases.build_events(
        [{"id": "r", "at": "2026-01-05T09:41:00Z", "repeat": 15, "every": 120}],
        {"data": {"type": "sapi", "description": "Dynamic client registration", "tenant_name": "acme"}},
    )


def test_fixed_hourly_bins_would_miss_it():
    hours = collections.Counter(
        datetime.datetime.fromisoformat(e["data"]["date"].replace("Z", "+00:00")).hour for e in straddling_burst()
    )
    assert sorted(hours.values()) == [5, 10]
    assert max(hours.values()) < DCR.threshold


def test_straddling_burst_alerts_in_sqlite():
    events = straddling_burst()
    alerts = Engine(events).run(DCR)
    assert [alert["log_ids"] for alert in alerts] == [sorted(e["log_id"] for e in events)]


def test_generated_spl_uses_a_sliding_window_and_no_bins():
    search = spl.search(DCR)
    assert "| eval auth0_window=mvrange(auth0_step_start - 3540, auth0_step_start + 60, 60)" in search
    assert "sum(auth0_n) as auth0_window_count" in search
    assert "by auth0_window data.tenant_name" in search
    assert not re.search(r"\b(bin|bucket)\b", search)


def test_no_saved_search_uses_fixed_bins_and_every_correlation_slides():
    for detection in model.load_all():
        search = spl.search(detection)
        assert not re.search(r"\|\s*(bin|bucket)\b", search), detection.slug
        assert "span=" not in search, detection.slug
        if detection.is_correlation:
            step = detection.timespan // 60
            assert f"auth0_window=mvrange(auth0_step_start - {detection.timespan - step}," in search, detection.slug


def test_schedule_sees_every_window_whole():
    for detection in model.load_all():
        if not detection.is_correlation:
            continue
        schedule = detection.schedule()
        interval = int(re.match(r"\*/(\d+)", schedule["cron"]).group(1)) if "/" in schedule["cron"] else 60
        earliest = int(re.match(r"-(\d+)m@m", schedule["earliest"]).group(1))
        latest = 0 if schedule["latest"] == "now" else int(re.match(r"-(\d+)m@m", schedule["latest"]).group(1))
        # A window ending in the run's last `interval` minutes starts no earlier than the run's earliest time.
        assert earliest - latest >= detection.timespan // 60 + interval, detection.slug
