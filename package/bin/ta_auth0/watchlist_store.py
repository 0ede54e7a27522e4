"""Reads the client-id watchlist (KV store collection ``auth0_client_watchlist``) through splunkd's REST API.

The search command learns splunkd's address and the search's session key from the getinfo message and reads the
collection once, before the first record arrives. The request goes to the loopback splunkd exactly as splunklib's
``SearchCommand.service`` would make it (``splunklib.binding``, which ships in ``lib/``). Every failure becomes a
``WatchlistUnavailable`` whose message says what went wrong and what to check.
"""

import http.client
import json
from typing import Any, List, Mapping
from urllib.parse import urlsplit

from . import ADDON_NAME
from .watchlist import COLLECTION, COMMAND

PAGE_SIZE = 10000
MAX_ROWS = 1000000
TIMEOUT_SECONDS = 30


class WatchlistUnavailable(Exception):
    """The watchlist cannot be read: the search cannot go on."""


def collection_path(collection: str = COLLECTION) -> str:
    return f"storage/collections/data/{collection}"


def read_for_search(searchinfo: Mapping[str, Any]) -> List[Any]:
    """The collection's documents, read with the search's own splunkd address and session key."""
    splunkd_uri = str(searchinfo.get("splunkd_uri") or "").strip()
    session_key = str(searchinfo.get("session_key") or "").strip()
    if not splunkd_uri or not session_key:
        raise WatchlistUnavailable(
            f"{COMMAND}: the search did not pass splunkd's address and session key (searchinfo splunkd_uri, "
            "session_key), so the watchlist cannot be read. Run the command from a Splunk search."
        )
    return read_collection(splunkd_uri, session_key)


def read_collection(
    splunkd_uri: str,
    session_key: str,
    app: str = ADDON_NAME,
    collection: str = COLLECTION,
    page_size: int = PAGE_SIZE,
    timeout: float = TIMEOUT_SECONDS,
) -> List[Any]:
    """Every document of ``collection`` (app namespace, owner nobody), in ``_key`` order, page by page.

    Pages continue until one comes back empty, so a ``max_rows_per_query`` below ``page_size`` cannot cut the list.
    """
    from splunklib import binding  # lib/ is on sys.path only inside the command

    where = f"the KV store collection {collection} (app {app}) at {splunkd_uri}"
    parts = urlsplit(splunkd_uri)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        raise WatchlistUnavailable(f"{COMMAND}: splunkd's address {splunkd_uri!r} is not a scheme://host:port URI.")
    context = binding.Context(
        handler=binding.handler(timeout=timeout),
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        token=session_key,
        owner="nobody",
        app=app,
    )
    rows: List[Any] = []
    while True:
        try:
            response = context.get(
                collection_path(collection), output_mode="json", sort="_key", limit=page_size, skip=len(rows)
            )
            body = response.body.read()
        except binding.HTTPError as error:
            raise WatchlistUnavailable(_http_error_message(error.status, error.reason, where)) from None
        except (OSError, http.client.HTTPException) as error:
            raise WatchlistUnavailable(
                f"{COMMAND}: cannot reach splunkd to read {where}: {error or type(error).__name__}. "
                "The search cannot check client ids without the watchlist."
            ) from None
        page = _parse_page(body, where)
        if not page:
            return rows
        rows.extend(page)
        if len(rows) >= MAX_ROWS:
            raise WatchlistUnavailable(
                f"{COMMAND}: {where} holds more than {MAX_ROWS} documents; a watchlist that large is not supported."
            )


def _parse_page(body: bytes, where: str) -> List[Any]:
    try:
        page = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise WatchlistUnavailable(
            f"{COMMAND}: splunkd's answer for {where} is not valid JSON ({error}; it starts {body[:60]!r})."
        ) from None
    if not isinstance(page, list):
        raise WatchlistUnavailable(
            f"{COMMAND}: splunkd's answer for {where} is a JSON {type(page).__name__}, not the array of documents "
            "a KV store collection returns."
        )
    return page


def _http_error_message(status: int, reason: str, where: str) -> str:
    if status == 401:
        return (
            f"{COMMAND}: splunkd refused the search's session key when reading {where} (HTTP 401). "
            "Run the search again; if it persists, check the splunkd logs for authentication errors."
        )
    if status == 403:
        return (
            f"{COMMAND}: the search's user may not read {where} (HTTP 403). Give the user's role read access to "
            f"the {COLLECTION} collection in the {ADDON_NAME} app."
        )
    if status == 404:
        return (
            f"{COMMAND}: {where} does not exist (HTTP 404). Install the {ADDON_NAME} add-on on this search head "
            "(its collections.conf defines the collection); a search head cluster needs it on every member."
        )
    if status == 503:
        return (
            f"{COMMAND}: the KV store is not ready to serve {where} (HTTP 503). "
            "Check its status with 'splunk show kvstore-status'."
        )
    return f"{COMMAND}: splunkd answered HTTP {status} {reason} when reading {where}."
