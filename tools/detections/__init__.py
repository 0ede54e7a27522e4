"""Detections as code for TA-auth0 (dev-only; nothing here ships in the package).

``detections/<name>/rule.yml`` (Sigma) and ``detections/<name>/tests.yml`` (test events) are the source of truth.

* :mod:`tools.detections.model` loads them;
* :mod:`tools.detections.placeholders` is the processing pipeline (watchlist and lookup placeholders);
* :mod:`tools.detections.backends` adapts pySigma's Splunk and SQLite backends to Auth0's JSON events;
* :mod:`tools.detections.spl` turns a detection into a saved search (templates, sliding windows, ES metadata);
* :mod:`tools.detections.engine` runs a detection over events in SQLite (tests and replay);
* :mod:`tools.detections.compile` writes ``savedsearches.conf``, the generated ``macros.conf`` block and
  ``docs/detections.md``; :mod:`tools.detections.replay` runs every detection over a file of events.
"""
