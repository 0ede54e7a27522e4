"""What ``| auth0watchlist`` means: its options, the watchlist rows it trusts, and which records match.

Pure functions and small value types: no protocol, no network. ``watchlist_command`` feeds them what splunkd and
the KV store send; tests call them directly.

A record matches when one of the watched fields holds the client id of an applicable watchlist entry. Fields are
tried in the order given (the default order puts the application an event acts on before the caller); within a
multivalue field the first matching value wins. A value matches an entry's client id exactly, or as
``<client_id>@clients`` (how Auth0 names a machine-to-machine caller in ``user_id``), or, in a ``path`` field, as
the Management API path ``/api/v2/clients/<client_id>[/...]``.
"""

import datetime
import math
import re
from itertools import compress, count
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

COMMAND = "auth0watchlist"
COLLECTION = "auth0_client_watchlist"
CATEGORIES = ("critical", "api_explorer", "privileged_m2m", "dcr", "custom")
MODES = ("annotate", "filter")
OPTION_NAMES = ("fields", "category", "tenant", "mode")
SYNTAX = f"{COMMAND} [fields=<field>,...] [category=<category>,...] [tenant=<tenant>] [mode=annotate|filter]"
#: The collection's fields (collections.conf, transforms.conf fields_list, docs/watchlist.md).
ENTRY_FIELDS = (
    "client_id", "tenant", "category", "label", "reason", "source", "added_by", "added_at", "expires_at",
)  # fmt: skip

#: Every place an Auth0 log event (``{"log_id", "data"}`` envelope, sourcetype auth0:logs) carries a client id.
DEFAULT_FIELDS = (
    # the application read, created, updated or registered (mgmt_api_read, sapi, DCR) and client-grant answers
    "data.details.response.body.client_id",
    # request bodies: client-grant creation, token and registration requests
    "data.details.request.body.client_id",
    # /api/v2/clients/<id>[/...]: deleting an application, rotating its secret, reading it by id
    "data.details.request.path",
    # list answers (GET /api/v2/clients, /api/v2/client-grants): one value per item
    "data.details.response.body{}.client_id",
    # GET /api/v2/client-grants?client_id=<id>
    "data.details.request.query.client_id",
    # the application the event is about (seccft tokens, logins, failures); the Dashboard's own client on its calls
    "data.client_id",
    # the /authorize query string on login failures
    "data.details.qs.client_id",
    # cross-origin authentication bodies (fcoa, scoa)
    "data.details.body.client_id",
    # <client_id>@clients: a machine-to-machine application calling the Management API
    "data.user_id",
)

OUTPUT_FIELDS = (
    "watchlist_match",
    "watchlist_category",
    "watchlist_label",
    "watchlist_reason",
    "watchlist_field",
    "watchlist_client_id",
)
MATCH = "true"
NO_MATCH = "false"

M2M_SUFFIX = "@clients"
CLIENT_PATH = "/api/v2/clients/"
_CLIENT_ID = re.compile(r'[^\s,"]+')
_EXAMPLES = 3


class Entry(NamedTuple):
    client_id: str
    category: str
    label: str = ""
    reason: str = ""
    tenant: str = ""
    source: str = "manual"
    added_at: Optional[float] = None
    expires_at: Optional[float] = None
    key: str = ""


class Hit(NamedTuple):
    entry: Entry
    field: str

    def values(self) -> Tuple[str, ...]:
        entry = self.entry
        return (MATCH, entry.category, entry.label, entry.reason, self.field, entry.client_id)


NO_MATCH_VALUES = (NO_MATCH, "", "", "", "", "")


class Options(NamedTuple):
    fields: Tuple[str, ...] = DEFAULT_FIELDS
    categories: Optional[FrozenSet[str]] = None
    tenant: Optional[str] = None
    mode: str = "annotate"
    fields_given: bool = False

    def describe(self) -> str:
        parts = []
        if self.categories is not None:
            parts.append("category=" + ",".join(c for c in CATEGORIES if c in self.categories))
        if self.tenant is not None:
            parts.append("tenant=" + self.tenant)
        return " ".join(parts)


# --- options -----------------------------------------------------------------------------------------------------


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"')
    return value


def _split_list(value: str) -> List[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_options(args: Sequence[Any]) -> Tuple[Options, List[str]]:
    """The command's options from ``searchinfo.args``, and an error for each one that is wrong."""
    errors: List[str] = []
    given: Dict[str, str] = {}
    for arg in args:
        text = str(arg)
        name, equals, value = text.partition("=")
        name = name.strip().lower()
        if not equals or not name:
            errors.append(f"'{text}' is not an option: {COMMAND} takes name=value options. Syntax: {SYNTAX}")
        elif name not in OPTION_NAMES:
            errors.append(f"unknown option '{name}'. {COMMAND} takes fields=, category=, tenant= and mode=.")
        elif name in given:
            errors.append(f"option '{name}' is given twice.")
        else:
            given[name] = _unquote(value)
    options, value_errors = options_from_values(**given)
    return options, errors + value_errors


def options_from_values(
    fields: Optional[str] = None,
    category: Optional[str] = None,
    tenant: Optional[str] = None,
    mode: Optional[str] = None,
) -> Tuple[Options, List[str]]:
    """Options from their text values (None: not given)."""
    errors: List[str] = []
    chosen_fields = DEFAULT_FIELDS
    if fields is not None:
        names = _split_list(fields)
        if names:
            chosen_fields = tuple(dict.fromkeys(names))
        else:
            errors.append("fields= names no field: give a comma-separated list, or leave fields= out for the defaults.")
    categories = None
    if category is not None:
        names = [name.lower() for name in _split_list(category)]
        unknown = [name for name in names if name not in CATEGORIES]
        if unknown or not names:
            shown = ", ".join(f"'{name}'" for name in unknown) or "nothing"
            errors.append(f"category={category!s} names {shown}: use one or more of {', '.join(CATEGORIES)}.")
        else:
            categories = frozenset(names)
    if tenant is not None:
        tenant = tenant.strip()
        if not tenant:
            errors.append("tenant= is empty: give a tenant (as in the watchlist's tenant column) or leave it out.")
            tenant = None
    chosen_mode = "annotate"
    if mode is not None:
        if mode.strip().lower() in MODES:
            chosen_mode = mode.strip().lower()
        else:
            errors.append(f"mode={mode} is not a mode: use mode=annotate (the default) or mode=filter.")
    options = Options(chosen_fields, categories, tenant, chosen_mode, fields is not None)
    return options, errors


# --- watchlist rows ------------------------------------------------------------------------------------------------


def parse_time(value: Any) -> Optional[float]:
    """Epoch seconds from an epoch number or an ISO 8601 date or time (UTC unless it says otherwise); None if empty.

    A bare date means midnight UTC at its start. Raises ValueError for anything else.
    """
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise ValueError("a boolean is not a time")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            seconds = float(text)
        except ValueError:
            seconds = _parse_iso(text)
    else:
        raise ValueError(f"{type(value).__name__} is not a time")
    if not math.isfinite(seconds):
        raise ValueError("not a finite time")
    return seconds


def _parse_iso(text: str) -> float:
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        moment = datetime.datetime.combine(datetime.date.fromisoformat(text), datetime.time())
    else:
        moment = datetime.datetime.fromisoformat(text.replace(" ", "T", 1))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def format_time(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(item) for item in value)
    return str(value).strip()


def _describe_row(position: int, row: Any) -> str:
    if isinstance(row, dict):
        key = row.get("_key")
        client_id = row.get("client_id")
        if key:
            return f"row _key={key}"
        if client_id:
            return f"row client_id={client_id}"
    return f"row {position + 1}"


def parse_entry(row: Any) -> Entry:
    """One KV store document as a watchlist entry; ValueError says why it is not one."""
    if not isinstance(row, dict):
        raise ValueError(f"it is a JSON {type(row).__name__}, not an object")
    raw_id = row.get("client_id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)  # a CSV import may have typed a numeric id as a number
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise ValueError("it has no client_id")
    client_id = raw_id.strip()
    if not _CLIENT_ID.fullmatch(client_id):
        raise ValueError(f"client_id {client_id[:80]!r} holds spaces, commas or quotes (one client id per row)")
    if client_id.endswith(M2M_SUFFIX) and len(client_id) > len(M2M_SUFFIX):
        client_id = client_id[: -len(M2M_SUFFIX)]
    category = _text(row, "category").lower() or "custom"
    if category not in CATEGORIES:
        raise ValueError(f"category {category[:40]!r} is not one of {', '.join(CATEGORIES)}")
    try:
        expires_at = parse_time(row.get("expires_at"))
    except ValueError:
        raise ValueError(f"expires_at {str(row.get('expires_at'))[:40]!r} is not an epoch or ISO 8601 time") from None
    try:
        added_at = parse_time(row.get("added_at"))
    except ValueError:
        added_at = None  # informational only: a bad added_at does not make the entry unusable
    return Entry(
        client_id=client_id,
        category=category,
        label=_text(row, "label"),
        reason=_text(row, "reason"),
        tenant=_text(row, "tenant"),
        source=_text(row, "source").lower() or "manual",
        added_at=added_at,
        expires_at=expires_at,
        key=_text(row, "_key"),
    )


class Watchlist:
    """The entries that apply to one search, keyed by every form in which an event can carry their client id."""

    def __init__(self, entries: Iterable[Entry]):
        self.entries: Dict[str, Entry] = {entry.client_id: entry for entry in entries}
        self.index: Dict[str, Entry] = dict(self.entries)
        self.index.update((client_id + M2M_SUFFIX, entry) for client_id, entry in self.entries.items())
        self.keys = frozenset(self.index)
        # the same keys as a CSV body may write them: bare or in double quotes (a client id holds no quote)
        self.written_keys = self.keys | frozenset('"' + key + '"' for key in self.keys)

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, value: str, path: bool = False) -> Optional[Entry]:
        """The entry a single field value names, if any."""
        entry = self.index.get(value)
        if entry is None and path and value.startswith(CLIENT_PATH):
            client_id = value[len(CLIENT_PATH) :].split("/", 1)[0].split("?", 1)[0]
            entry = self.entries.get(client_id)
        return entry


def _precedence(entry: Entry) -> Tuple[int, float]:
    # a person's decision outranks the inventory fill; then the most recently added row
    return (0 if entry.source == "inventory" else 1, entry.added_at or 0.0)


def build_watchlist(rows: Iterable[Any], options: Options, now: float) -> Tuple[Watchlist, List[str]]:
    """The applicable entries from the collection's documents, and a warning for each kind of row left out."""
    malformed: List[str] = []
    expired: List[Entry] = []
    chosen: Dict[str, Entry] = {}
    duplicates: Dict[str, int] = {}
    total = 0
    for position, row in enumerate(rows):
        total += 1
        try:
            entry = parse_entry(row)
        except ValueError as error:
            malformed.append(f"{_describe_row(position, row)}: {error}")
            continue
        if options.categories is not None and entry.category not in options.categories:
            continue
        if options.tenant is not None and entry.tenant and entry.tenant.lower() != options.tenant.lower():
            continue
        if entry.expires_at is not None and entry.expires_at <= now:
            expired.append(entry)
            continue
        previous = chosen.get(entry.client_id)
        if previous is not None:
            duplicates[entry.client_id] = duplicates.get(entry.client_id, 1) + 1
            if _precedence(entry) <= _precedence(previous):
                continue
        chosen[entry.client_id] = entry
    warnings = []
    if malformed:
        warnings.append(
            f"{COMMAND}: {len(malformed)} watchlist row(s) in {COLLECTION} are malformed and were ignored: "
            + "; ".join(malformed[:_EXAMPLES])
            + ("; ..." if len(malformed) > _EXAMPLES else "")
            + "."
        )
    if expired:
        examples = ", ".join(f"{e.client_id} (expired {format_time(e.expires_at or 0)})" for e in expired[:_EXAMPLES])
        warnings.append(
            f"{COMMAND}: {len(expired)} watchlist entr{'y has' if len(expired) == 1 else 'ies have'} expired "
            f"and {'is' if len(expired) == 1 else 'are'} ignored: {examples}"
            + (", ..." if len(expired) > _EXAMPLES else "")
            + ". Remove or renew expired entries."
        )
    if duplicates:
        examples = ", ".join(f"{cid} ({count} rows)" for cid, count in list(duplicates.items())[:_EXAMPLES])
        warnings.append(
            f"{COMMAND}: {len(duplicates)} client id(s) are on the watchlist more than once: {examples}"
            + (", ..." if len(duplicates) > _EXAMPLES else "")
            + ". Each matches through one row: a manual row before an inventory row, then the most recently added."
        )
    if not chosen:
        scope = options.describe()
        warnings.append(
            f"{COMMAND}: no watchlist entry applies ({total} row(s) in {COLLECTION}"
            + (f", {scope}" if scope else "")
            + "): every record gets watchlist_match=false."
        )
    return Watchlist(chosen.values()), warnings


# --- matching ------------------------------------------------------------------------------------------------------


def is_path_field(name: str) -> bool:
    return name == "path" or name.endswith(".path")


def match_record(record: Mapping[str, Any], fields: Sequence[str], watchlist: Watchlist) -> Optional[Hit]:
    """The first watched field (in ``fields`` order) whose value, or one of whose values, is on the watchlist.

    A list or tuple is a multivalue field; anything else is one value.
    """
    for field in fields:
        value = record.get(field)
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else (value,)
        path = is_path_field(field)
        for item in values:
            if item is None:
                continue
            entry = watchlist.lookup(item if isinstance(item, str) else str(item), path)
            if entry is not None:
                return Hit(entry, field)
    return None


def match_columns(
    columns: Mapping[str, Optional[List[str]]],
    fields: Sequence[str],
    watchlist: Watchlist,
    decode_multivalue: Callable[[str], List[str]],
    decode_value: Optional[Callable[[str], str]] = None,
) -> Dict[int, Hit]:
    """``match_record`` for a whole table at once: {row number: hit} for the rows that match.

    ``columns`` maps a field name, and its ``__mv_<name>`` companion when the table has one, to that column's
    values; ``decode_multivalue`` turns a companion value into the field's values. With ``decode_value`` the
    values are as a CSV body writes them (a value may be wrapped in double quotes) and are decoded only when they
    can match. Work is per distinct value, so a column whose values are all off the list costs one set.
    """
    hits: Dict[int, Hit] = {}
    keys = watchlist.keys if decode_value is None else watchlist.written_keys
    decode = decode_value or _same
    lookup = watchlist.lookup
    path_prefixes = (CLIENT_PATH, '"' + CLIENT_PATH)
    for field in reversed(fields):  # earlier fields overwrite later ones
        column = columns.get(field)
        if not column:
            continue
        path = is_path_field(field)
        distinct = set(column)
        named: Dict[str, Entry] = {value: watchlist.index[decode(value)] for value in distinct & keys}
        if path:
            for value in distinct:
                if value.startswith(path_prefixes):
                    entry = lookup(decode(value), True)
                    if entry is not None:
                        named[value] = entry
        multivalue = columns.get("__mv_" + field)
        if multivalue is None:
            # no companion column: a value with newlines is several values
            for value in distinct:
                if "\n" in value and value not in named:
                    parts = decode(value).split("\n")
                    entry = next(filter(None, (lookup(part, path) for part in parts)), None)
                    if entry is not None:
                        named[value] = entry
        if named:
            for row in compress(count(), map(named.__contains__, column)):
                hits[row] = Hit(named[column[row]], field)
        if multivalue is not None and any(multivalue):
            for row in compress(count(), multivalue):
                for value in decode_multivalue(decode(multivalue[row])):
                    entry = lookup(value, path)
                    if entry is not None:
                        hits[row] = Hit(entry, field)
                        break
    return hits


def _same(value: str) -> str:
    return value
