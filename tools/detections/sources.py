"""The two kinds of events detections run over, chosen by the rule's ``logsource``.

``logs`` (``logsource: {product: auth0}``)
    Log Streams envelopes ``{"log_id", "data"}`` (sourcetype ``auth0:logs``, product macro ``auth0_logs``); an
    event is identified by its ``log_id``, fields are ``data.*``.
``inventory`` (``logsource: {product: auth0, service: inventory}``)
    the configuration inventory's flat events (sourcetype ``auth0:inventory``, product macro ``auth0_inventory``,
    docs/inventory.md): one per configuration object and snapshot, identified by ``snapshot_id`` + ``object_type`` +
    ``object_id``, timed by ``collected_at``; fields are top level (``object_type``, ``risk_findings{}``,
    ``object.*``).
"""

from dataclasses import dataclass
from typing import FrozenSet, Tuple


@dataclass(frozen=True)
class Source:
    name: str
    service: str  # the logsource's service ("" for the logs)
    macro: str  # the product macro every search starts with
    sourcetype: str
    table: str  # SQLite table of the tests and replay
    id_field: str  # the row id column in SQLite (the correlation backend's event_id_field)
    default_group_by: Tuple[str, ...]
    default_throttle: str
    type_field: str  # the field that names the kind of event (docs: "Data needed")
    dedup: str  # the fields that identify one event in Splunk (duplicates dropped by correlations)
    head_fields: FrozenSet[str]  # fields always within Splunk's first 5,000 bytes of an event (see below)
    large_prefixes: Tuple[str, ...] = ()  # when given: every field not under these prefixes is a head field

    def is_head(self, field: str) -> bool:
        """True when ``field`` sits before anything large in the event, so Splunk's automatic JSON extraction
        (KV_MODE = json, which reads only the first ``[spath] extraction_cutoff`` = 5,000 bytes) always has it.
        Every other field a detection uses is read with ``spath path=``, which is not subject to the cut-off."""
        if self.large_prefixes:
            return not field.startswith(self.large_prefixes)
        return field in self.head_fields


LOGS = Source(
    name="logs",
    service="",
    macro="`auth0_logs`",
    sourcetype="auth0:logs",
    table="logs",
    id_field="log_id",
    default_group_by=("data.tenant_name",),
    default_throttle="60m",
    type_field="data.type",
    dedup="log_id",
    # The envelope starts with log_id; Auth0's log object starts with these keys, before "details" (which can be
    # any size); tenant_name, user_id, user_name and hostname come after "details" (../shared/reference samples).
    head_fields=frozenset(
        (
            "log_id",
            "data.date",
            "data.type",
            "data.description",
            "data.connection",
            "data.connection_id",
            "data.client_id",
            "data.client_name",
            "data.ip",
            "data.user_agent",
        )
    ),
)
INVENTORY = Source(
    name="inventory",
    service="inventory",
    macro="`auth0_inventory`",
    sourcetype="auth0:inventory",
    table="inventory",
    id_field="event_id",
    default_group_by=("tenant", "object_id"),
    default_throttle="1d",
    type_field="object_type",
    dedup="snapshot_id object_type object_id",
    # The inventory input writes its derived, small fields first and the Auth0 object (Actions code, ...) last.
    head_fields=frozenset(),
    large_prefixes=("object.",),
)
SOURCES = (LOGS, INVENTORY)


def for_logsource(logsource) -> Source:
    """The source of a Sigma ``logsource`` mapping; ValueError for anything else."""
    logsource = dict(logsource or {})
    if logsource.get("product") != "auth0" or set(logsource) - {"product", "service"}:
        raise ValueError(f"logsource {logsource} is not auth0 (optionally with service: inventory)")
    service = logsource.get("service") or ""
    for source in SOURCES:
        if source.service == service:
            return source
    raise ValueError(f"logsource service {service!r} is not one of: (none), inventory")
