"""The live-Splunk tier (``make live``): the built .spl in the official Splunk container, checked end to end.

1. :mod:`.docker` decides whether the tier can run here (a Docker engine and the ``splunk/splunk`` image) and
   starts, inspects and removes the container (ports published on 127.0.0.1 only).
2. :mod:`.rest` talks to splunkd's management port: installs the app, restarts, creates the index, sets the
   ``auth0_index`` macro, fills the KV store watchlist, runs searches.
3. :mod:`.hec` turns the detections' test events into HTTP Event Collector payloads and sends them.
4. :mod:`.plan` lists every detection's test cases (``detections/*/tests.yml``), each under its own ``source``,
   and computes the reference alerts with the SQLite engine the detection tests use.
5. :mod:`.compare` compares each saved search's results in splunkd with those reference alerts.
6. :mod:`.watchlist_check` runs ``| auth0watchlist`` in splunkd and checks ``watchlist_match`` against the
   command's own semantics (``ta_auth0.watchlist``).
7. :mod:`.psa` runs pytest-splunk-addon's tier (``tests/knowledge``) against the same Splunk.
8. :mod:`.run` ties them together and always removes the container.

Secrets (the admin password, the HEC token) are generated per run (:mod:`.credentials`) and never printed.
"""
