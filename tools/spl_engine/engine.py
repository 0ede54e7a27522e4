"""Runs a search over events: macros expanded (never inside a quoted string), the leading search over the events
of the time range with their search-time fields, then each command in turn."""

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence

from tools.detections.semantics import commands as split_commands
from tools.knowledge.searchtime import KnowledgeModel, read_conf
from tools.knowledge.spl_search import expand_macros
from tools.spl_engine.commands import COMMANDS, STREAMING, search_predicate
from tools.spl_engine.event import Event
from tools.spl_engine.lookups import Lookups
from tools.spl_engine.values import Row, SplError, text_of

#: limits.conf [spath] extraction_cutoff: automatic JSON extraction reads this many bytes of an event.
EXTRACTION_CUTOFF = 5000
_MODELS: Dict[str, KnowledgeModel] = {}


def _model(package_dir: str) -> KnowledgeModel:
    if package_dir not in _MODELS:
        _MODELS[package_dir] = KnowledgeModel(package_dir)
    return _MODELS[package_dir]


@dataclass
class Run:
    """One search run: its time range, its "now", its events."""

    engine: "Engine"
    events: Sequence[Event]
    earliest: Optional[float]
    latest: Optional[float]
    now: float
    index_earliest: Optional[float] = None
    index_latest: Optional[float] = None
    documents: Dict[str, Any] = field(default_factory=dict)

    def document(self, raw: Any) -> Any:
        """``_raw`` parsed as JSON (once per text); None when it is not JSON."""
        if not isinstance(raw, str):
            return None
        if raw not in self.documents:
            try:
                self.documents[raw] = json.loads(raw, parse_int=str, parse_float=str)
            except ValueError:
                self.documents[raw] = None
        return self.documents[raw]

    def in_range(self, event: Event) -> bool:
        return (
            (self.earliest is None or event.time >= self.earliest)
            and (self.latest is None or event.time < self.latest)
            and (self.index_earliest is None or event.indextime >= self.index_earliest)
            and (self.index_latest is None or event.indextime < self.index_latest)
        )


class Engine:
    def __init__(
        self,
        macros: Dict[str, str],
        lookups_dir: str,
        transforms_conf: str,
        watchlist: Iterable[Dict[str, Any]] = (),
        package_dir: Optional[str] = None,
        extraction_cutoff: int = EXTRACTION_CUTOFF,
    ):
        self.macros = dict(macros)
        self.lookups = Lookups(transforms_conf, lookups_dir)
        self.package_dir = package_dir or os.path.dirname(os.path.dirname(transforms_conf))
        self.model = _model(self.package_dir)
        self.extraction_cutoff = extraction_cutoff
        self.collections: Dict[str, List[Row]] = {"auth0_client_watchlist": [dict(row) for row in watchlist]}

    @classmethod
    def from_package(cls, root: str, watchlist: Iterable[Dict[str, Any]] = ()) -> "Engine":
        package = os.path.join(root, "package")
        default = os.path.join(package, "default")
        macros = {name: s.get("definition", "") for name, s in read_conf(os.path.join(default, "macros.conf")).items()}
        return cls(
            macros=macros,
            lookups_dir=os.path.join(package, "lookups"),
            transforms_conf=os.path.join(default, "transforms.conf"),
            watchlist=watchlist,
            package_dir=package,
        )

    # --- KV store ------------------------------------------------------------------------------------------------
    def kvstore(self, collection: str) -> List[Row]:
        if collection not in self.collections:
            raise SplError(f"no KV-store collection {collection} in this model")
        return self.collections[collection]

    def store(self, collection: str, rows: Sequence[Row]) -> None:
        stored = {row.get("_key") or str(index): row for index, row in enumerate(self.kvstore(collection))}
        for row in rows:
            stored[str(row.get("_key") or len(stored))] = {k: v for k, v in row.items() if v is not None}
        self.collections[collection] = list(stored.values())

    # --- searching ---------------------------------------------------------------------------------------------
    def fields(self, event: Event) -> Row:
        """The event's search-time fields (automatic extraction cut off as on a default search head)."""
        key = (id(self.model), self.extraction_cutoff)
        cached = event.cache.get(key)
        if cached is None:
            cached = self.model.fields(
                event.raw,
                event.sourcetype,
                source=event.source,
                host=event.host,
                index=event.index,
                extraction_cutoff=self.extraction_cutoff,
            )
            cached.update({"_time": text_of(event.time), "_indextime": text_of(event.indextime)})
            event.cache[key] = cached
        return dict(cached)

    def retrieve(self, expression: str, run: Run) -> List[Row]:
        """The leading search: events of the time range that match, newest first (as Splunk returns them)."""
        predicate = search_predicate(expression)
        found = [row for row in (self.fields(e) for e in run.events if run.in_range(e)) if predicate(row)]
        found.sort(key=lambda row: float(row["_time"]), reverse=True)
        return found

    def pipeline(self, search: str, run: Run, streaming_only: bool = False) -> List[Row]:
        # expanded before splitting: a macro can hold pipes (a filter macro is "search *")
        parts = split_commands(expand_macros(search, self.macros))
        rows = self.retrieve(parts[0], run) if parts[0] else []
        for text in parts[1:]:
            name, _, arguments = text.strip().partition(" ")
            function = COMMANDS.get(name)
            if function is None:
                raise SplError(f"command {name} is not modelled")
            if streaming_only and name not in STREAMING:
                raise SplError(f"{name} is not a streaming command (multisearch allows only those)")
            rows = function(arguments, rows, run)
        return rows

    def run(
        self,
        search: str,
        events: Sequence[Event],
        earliest: Optional[float],
        latest: Optional[float],
        now: float,
        index_earliest: Optional[float] = None,
        index_latest: Optional[float] = None,
    ) -> List[Row]:
        """The results of ``search`` over ``events`` (dicts: a string, or a list for a multivalue field)."""
        run = Run(self, events, earliest, latest, now, index_earliest, index_latest)
        return self.pipeline(search, run)
