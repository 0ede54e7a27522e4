"""An offline model of Splunk's search pipeline, for the SPL the add-on ships: its saved searches (with the macros
of ``macros.conf``), run over events as Splunk would hold them.

The SQLite reference engine (:mod:`tools.detections.engine`) executes the Sigma intent of a detection; this model
executes the generated SPL itself, so what Splunk does differently from SQL shows up in tests: a macro inside a
quoted string stays literal, automatic JSON extraction stops at ``[spath] extraction_cutoff`` (5,000 bytes),
``streamstats time_window`` holds at most ``max_stream_window`` (10,000) events, ``stats``/``dedup`` drop results
without their fields, ``stats ... by`` a multivalue field counts the result under each value.

Only the commands and functions the shipped searches use are modelled (see :mod:`tools.spl_engine.commands`);
anything else raises :class:`SplError`, so a new construct must be modelled before its tests can pass.
"""

from tools.spl_engine.engine import Engine
from tools.spl_engine.event import Event
from tools.spl_engine.values import SplError

__all__ = ["Engine", "Event", "SplError"]
