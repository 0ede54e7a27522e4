"""The watchlist fill: its SPL executed over fixtures, the Python statement of its rules, and the two agreeing.
Manual rows are never written, overwritten or deleted."""

import copy
import json
import re

import pytest

from ta_auth0 import inventory_watchlist as fill
from tools.detections.semantics import commands as split_commands
from tools.knowledge.searchtime import ROOT, KnowledgeModel
from tools.spl_engine import Engine, Event, SplError

MODEL = KnowledgeModel()
T1, T2 = 1_780_000_000, 1_780_021_600  # two snapshots six hours apart


def client_event(time, snapshot, object_id, category=None, tenant="acme.us.auth0.com", name=None):
    event = {
        "_time": time, "index": "auth0", "sourcetype": "auth0:inventory", "collected_at": f"iso-{time}",
        "snapshot_id": snapshot, "tenant": tenant, "object_type": "client", "object_id": object_id,
        "object_name": name or f"app {object_id}",
    }  # fmt: skip
    if category:
        event["watchlist_category"] = category
        event["watchlist_reason"] = f"{category} because"
    return event


def summary_event(time, snapshot, tenant="acme.us.auth0.com"):
    return {"_time": time, "index": "auth0", "sourcetype": "auth0:inventory", "collected_at": f"iso-{time}",
            "snapshot_id": snapshot, "tenant": tenant, "object_type": "snapshot", "object_id": snapshot}  # fmt: skip


MANUAL = [
    {"_key": "5f1a0001", "client_id": "ax", "tenant": "acme.us.auth0.com", "category": "critical",
     "label": "Explorer (kept by hand)", "reason": "ours", "source": "manual", "added_by": "alice",
     "added_at": "2026-01-01", "expires_at": ""},
    {"_key": "5f1a0002", "client_id": "pay", "tenant": "", "category": "critical", "label": "Payments",
     "reason": "secret", "source": "manual", "added_by": "bob", "added_at": "2026-02-01", "expires_at": "2027-01-01"},
    {"_key": "inventory:acme.us.auth0.com:blocked", "client_id": "blocked", "tenant": "acme.us.auth0.com",
     "category": "custom", "label": "a person took this key", "reason": "", "source": "manual", "added_by": "carol",
     "added_at": "2026-03-01", "expires_at": ""},
    {"_key": "5f1a0004", "client_id": "nosource", "category": "custom"},  # no source field: a person's row
]  # fmt: skip


def events_two_snapshots():
    return [
        summary_event(T1, "s1"),
        client_event(T1, "s1", "ax", "api_explorer", name="API Explorer Application"),
        client_event(T1, "s1", "old", "privileged_m2m"),
        client_event(T1, "s1", "web"),
        summary_event(T2, "s2"),
        client_event(T2, "s2", "ax", "api_explorer", name="API Explorer Application"),
        client_event(T2, "s2", "sync", "privileged_m2m"),
        client_event(T2, "s2", "blocked", "privileged_m2m"),
        client_event(T2, "s2", "web"),
        summary_event(T1, "o1", tenant="other.eu.auth0.com"),
        client_event(T1, "o1", "tf", "api_explorer", tenant="other.eu.auth0.com"),
        {
            "_time": T2,
            "index": "auth0",
            "sourcetype": "auth0:logs",
            "object_type": "client",
            "tenant": "x",
            "watchlist_category": "api_explorer",
            "object_id": "logs-event",
        },
    ]


def indexed(event):
    """A fixture's fields as the indexed event they come from (raw JSON, _time, index, sourcetype)."""
    document = {k: v for k, v in event.items() if k not in ("_time", "index", "sourcetype")}
    return Event(json.dumps(document), event["_time"], event["_time"], event["sourcetype"], index=event["index"])


def run_spl(collection, events):
    """The fill search executed by the offline model of Splunk's search pipeline, over the KV-store rows."""
    engine = Engine.from_package(ROOT, watchlist=copy.deepcopy(collection))
    engine.run(fill.FILL_SEARCH, [indexed(e) for e in events], earliest=T1 - 43200, latest=None, now=T2 + 60)
    return engine.kvstore(fill.COLLECTION)


@pytest.mark.parametrize("runner", ["spl", "python"])
def test_fill_upserts_the_latest_snapshot_and_never_touches_manual_rows(runner):
    run = run_spl if runner == "spl" else fill.fill
    before = copy.deepcopy(MANUAL)
    after = run(before, events_two_snapshots())
    assert after[: len(MANUAL)] == MANUAL  # every manual row unchanged, in place
    added = {row["_key"]: row for row in after[len(MANUAL) :]}
    assert set(added) == {
        "inventory:acme.us.auth0.com:ax",
        "inventory:acme.us.auth0.com:sync",
        "inventory:other.eu.auth0.com:tf",
    }  # "old" is not in the latest snapshot, "blocked" is a person's key, "web" is not privileged
    ax = added["inventory:acme.us.auth0.com:ax"]
    assert ax == {
        "_key": "inventory:acme.us.auth0.com:ax", "client_id": "ax", "tenant": "acme.us.auth0.com",
        "category": "api_explorer", "label": "API Explorer Application",
        "reason": f"api_explorer because (inventory snapshot s2 at iso-{T2})", "source": "inventory",
        "added_by": "auth0_inventory", "added_at": f"iso-{T2}", "expires_at": "",
    }  # fmt: skip
    assert before == MANUAL  # the input list itself is not modified


@pytest.mark.parametrize("runner", ["spl", "python"])
def test_refill_keeps_first_added_and_keeps_rows_that_no_longer_qualify(runner):
    run = run_spl if runner == "spl" else fill.fill
    first = run(MANUAL, events_two_snapshots()[:4])  # only snapshot s1 exists yet
    assert {r["_key"] for r in first if r.get("source") == "inventory"} == {
        "inventory:acme.us.auth0.com:ax", "inventory:acme.us.auth0.com:old"
    }  # fmt: skip
    second = run(first, events_two_snapshots())
    rows = {r["_key"]: r for r in second}
    assert rows["inventory:acme.us.auth0.com:ax"]["added_at"] == f"iso-{T1}"  # first seen is kept
    assert "snapshot s2" in rows["inventory:acme.us.auth0.com:ax"]["reason"]  # refreshed
    assert rows["inventory:acme.us.auth0.com:old"]["reason"].endswith(f"snapshot s1 at iso-{T1})")  # never deleted
    assert second[: len(MANUAL)] == MANUAL
    assert run(second, events_two_snapshots()) == second  # idempotent


@pytest.mark.parametrize("runner", ["spl", "python"])
def test_a_latest_snapshot_without_candidates_adds_nothing(runner):
    run = run_spl if runner == "spl" else fill.fill
    events = [summary_event(T1, "s1"), client_event(T1, "s1", "ax", "api_explorer"), summary_event(T2, "s2"),
              client_event(T2, "s2", "web")]  # fmt: skip
    assert run(MANUAL, events) == MANUAL


@pytest.mark.parametrize("seed", range(20))
def test_spl_and_python_agree_on_random_collections(seed):
    import random

    rng = random.Random(seed)
    ids = ["ax", "sync", "tf", "blocked", "old", "x1", "x2"]
    events = []
    for n, time in enumerate((T1, T2)):
        events.append(summary_event(time, f"s{n}"))
        for client_id in rng.sample(ids, 4):
            events.append(client_event(time, f"s{n}", client_id, rng.choice([None, "api_explorer", "privileged_m2m"])))
    collection = []
    for client_id in rng.sample(ids, 3):
        source = rng.choice(["manual", "inventory", ""])
        key = f"inventory:acme.us.auth0.com:{client_id}" if rng.random() < 0.5 else f"k{rng.randrange(999)}"
        collection.append({"_key": key, "client_id": client_id, "source": source, "added_at": f"2026-0{n + 1}",
                           "category": "critical"})  # fmt: skip
    collection = list({row["_key"]: row for row in collection}.values())
    assert run_spl(collection, events) == fill.fill(collection, events)


# -- the SPL's structure -----------------------------------------------------------------------------------------


def test_structure_of_the_fill_search():
    steps = split_commands(fill.FILL_SEARCH)
    names = [step.split(" ", 1)[0] for step in steps[1:]]
    assert names == ["eventstats", "where", "eval", "table", "inputlookup", "eval", "eventstats", "where", "eval",
                     "fields", "outputlookup"]  # fmt: skip
    assert steps[0].startswith('`auth0_index` sourcetype="auth0:inventory"')
    assert steps[-1] == "outputlookup append=true auth0_client_watchlist"  # never a full rewrite
    assert "inputlookup append=true auth0_client_watchlist" in steps
    # the rows written carry exactly the collection's fields
    table = steps[names.index("table") + 1]
    assert [f.strip() for f in table[len("table ") :].split(",")] == [*fill.ROW_FIELDS, "fill_new"]
    transforms = MODEL.transforms["auth0_client_watchlist"]
    assert [f.strip() for f in transforms["fields_list"].split(",")] == list(fill.ROW_FIELDS)
    assert re.search(r'source="inventory"', fill.FILL_SEARCH)
    assert set(fill.CATEGORIES) <= set(re.findall(r'"(\w+)"', steps[2]))


def test_the_executor_refuses_a_full_rewrite():
    with pytest.raises(SplError, match="append=true"):
        Engine.from_package(ROOT).run('sourcetype="x"\n| outputlookup auth0_client_watchlist', [], None, None, 0)


def test_saved_search_stanza_text():
    stanza = fill.saved_search_stanza()
    assert stanza.startswith(f"[{fill.SAVED_SEARCH_NAME}]\n")
    body = stanza.split("search = ", 1)[1].split("\nenableSched", 1)[0]
    assert body.replace(" \\\n", "\n") == fill.FILL_SEARCH
    assert "cron_schedule = 23 * * * *" in stanza


def test_a_placed_stanza_equals_the_source():
    """Once the lead places the stanza in savedsearches.conf, it must stay equal to the source here."""
    import os

    from tools.knowledge.searchtime import PACKAGE, read_saved_searches

    path = os.path.join(PACKAGE, "default", "savedsearches.conf")
    stanzas = read_saved_searches(path) if os.path.exists(path) else {}
    if fill.SAVED_SEARCH_NAME not in stanzas:
        pytest.skip("the fill stanza is not placed in package/default/savedsearches.conf yet")
    placed = stanzas[fill.SAVED_SEARCH_NAME]
    assert " ".join(placed["search"].split()) == " ".join(fill.FILL_SEARCH.split())
    for key, value in fill.SAVED_SEARCH_SETTINGS:
        if key != "search":
            assert " ".join(placed[key].split()) == " ".join(value.split()), key


def test_the_fill_search_ships_disabled_over_twice_the_inventory_interval():
    settings = dict(fill.SAVED_SEARCH_SETTINGS)
    assert settings["disabled"] == "1", "it scans auth0_index (index=* by default): enabled only with an inventory"
    assert settings["dispatch.earliest_time"] == "-12h@h"
    assert settings["realtime_schedule"] == "0"
