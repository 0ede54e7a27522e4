"""``stream(command, records)`` for the splunklib wrapper UCC generates from globalConfig.json's customSearchCommand.

UCC needs this module (``fileName``) to exist and to export ``stream``. The build ships our own
``bin/auth0watchlist.py`` instead of the generated wrapper, so Splunk never calls this function; it applies the
same semantics (``ta_auth0.watchlist``) record by record through splunklib, and the tests check that both paths
agree. Options arrive as the wrapper's attributes (``fields``, ``category``, ``tenant``, ``mode``).
"""

import time

from ta_auth0 import watchlist, watchlist_store

_STATE = "_auth0_watchlist_state"


def _prepare(command):
    """Options and watchlist, once per search: splunklib calls ``stream`` once per chunk."""
    state = getattr(command, _STATE, None)
    if state is None:
        options, errors = watchlist.options_from_values(
            fields=getattr(command, "fields", None),
            category=getattr(command, "category", None),
            tenant=getattr(command, "tenant", None),
            mode=getattr(command, "mode", None),
        )
        if errors:
            raise ValueError("; ".join(errors))
        rows = watchlist_store.read_for_search(vars(command.metadata.searchinfo))
        found, warnings = watchlist.build_watchlist(rows, options, now=time.time())
        for warning in warnings:
            command.write_warning(warning)
        state = (options, found)
        setattr(command, _STATE, state)
    return state


def stream(command, records):
    options, found = _prepare(command)
    empty = dict(zip(watchlist.OUTPUT_FIELDS, watchlist.NO_MATCH_VALUES))
    for record in records:
        hit = watchlist.match_record(record, options.fields, found)
        if hit is None:
            if options.mode == "filter":
                continue
            record.update(empty)
        else:
            record.update(zip(watchlist.OUTPUT_FIELDS, hit.values()))
        yield record
