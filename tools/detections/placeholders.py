"""The processing pipeline's placeholders: watchlist categories and lookup tables named in Sigma rules.

A rule names a list it does not hard-code with Sigma's ``|expand`` modifier::

    data.details.response.body.client_id|expand: '%auth0_watchlist_critical%'
    data.ip|expand: '%auth0_dcr_source_allowlist%'

``%auth0_watchlist_<category>%``
    the client ids of one category of the ``auth0_client_watchlist`` KV store (docs/watchlist.md).
``%<lookup>%``
    the rows of one of the add-on's lookup tables (:data:`LOOKUPS`, ``package/lookups/<lookup>.csv``).

**Splunk** (:class:`tools.detections.backends.Auth0SplunkBackend`): the search first keeps every event the rule
could match whatever the list holds, then one step per placeholder brings the list in (``| auth0watchlist
fields="<field>" category=<category>`` or ``| lookup <lookup> ...``), and ``| search`` applies the rest of the
condition with the placeholder replaced by the step's result field (:attr:`Placeholder.flag_field`).

**SQLite** (:func:`sqlite_pipeline`): each placeholder becomes the concrete list of values: the watchlist a test
case (or ``replay --watchlist``) gives, the lookup rows shipped in ``package/lookups`` (a test case may replace
them). An empty list matches nothing.
"""

import csv
import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations.placeholder import BasePlaceholderTransformation
from sigma.types import Placeholder, SigmaCIDRExpression, SigmaString

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOOKUP_DIR = os.path.join(ROOT, "package", "lookups")
WATCHLIST_PREFIX = "auth0_watchlist_"
WATCHLIST_CATEGORIES = ("critical", "api_explorer", "privileged_m2m", "dcr", "custom")
#: Stands in for an empty list: a value no event carries, so the condition matches nothing.
NO_ENTRIES = "(auth0: empty list)"


@dataclass(frozen=True)
class Lookup:
    """A lookup table the detections ship (``package/lookups/<name>.csv`` + a transforms.conf stanza)."""

    name: str
    column: str
    match: str  # exact | wildcard | cidr | email_domain
    columns: tuple
    description: str

    @property
    def filename(self) -> str:
        return self.name + ".csv"

    def rows(self) -> List[Dict[str, str]]:
        path = os.path.join(LOOKUP_DIR, self.filename)
        with open(path, encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def values(self) -> List[str]:
        return [row[self.column].strip() for row in self.rows() if row.get(self.column, "").strip()]

    def transforms_stanza(self) -> str:
        lines = [f"# {self.description}", f"[{self.name}]", f"filename = {self.filename}"]
        if self.match == "cidr":
            lines.append(f"match_type = CIDR({self.column})")
        elif self.match == "wildcard":
            lines.append(f"match_type = WILDCARD({self.column})")
        lines += ["case_sensitive_match = false", "max_matches = 1"]
        return "\n".join(lines)


LOOKUPS: Dict[str, Lookup] = {
    lookup.name: lookup
    for lookup in (
        Lookup(
            "auth0_dcr_source_allowlist",
            "cidr",
            "cidr",
            ("cidr", "description"),
            "Networks (CIDR) allowed to call Dynamic Client Registration (/oidc/register). Empty: none is.",
        ),
        Lookup(
            "auth0_redirect_domain_allowlist",
            "domain",
            "wildcard",
            ("domain", "description"),
            "Host names (wildcards allowed, e.g. *.example.com) expected in redirect URIs of registered clients.",
        ),
        Lookup(
            "auth0_disposable_email_domains",
            "domain",
            "email_domain",
            ("domain", "source"),
            "Disposable e-mail domains (signup fraud); add your own rows.",
        ),
        Lookup(
            "auth0_sensitive_management_scopes",
            "scope",
            "exact",
            ("scope", "reason"),
            "Management API scopes that let a client take over users, applications or the tenant's defences.",
        ),
        Lookup(
            "auth0_attack_protection_known_ips",
            "cidr",
            "cidr",
            ("cidr", "description"),
            "Addresses (CIDR) you expect in attack-protection allowlists.",
        ),
        Lookup(
            "auth0_custom_domain_tenants",
            "tenant_name",
            "exact",
            ("tenant_name", "custom_domain"),
            "Tenants that serve users on a custom domain (logins on the canonical *.auth0.com host are unexpected).",
        ),
    )
}


@dataclass(frozen=True)
class PlaceholderSpec:
    """What the Splunk search does for one placeholder (see the module docstring)."""

    name: str
    kind: str  # watchlist | lookup
    category: Optional[str] = None
    lookup: Optional[Lookup] = None

    @property
    def flag_field(self) -> str:
        return "watchlist_match" if self.kind == "watchlist" else f"{self.name}_match"

    @property
    def flag_value(self) -> str:
        return "true" if self.kind == "watchlist" else "*"

    def splunk_steps(self, fields: List[str]) -> List[str]:
        if self.kind == "watchlist":
            return [f'| auth0watchlist fields="{",".join(fields)}" category={self.category}']
        lookup = self.lookup
        assert lookup is not None
        if len(fields) != 1:
            raise ValueError(f"placeholder %{self.name}% may be used on one field only")
        field = fields[0]
        if lookup.match == "email_domain":
            key = f"{self.name}_key"
            return [
                f'| eval {key}=lower(replace(\'{field}\', "^.*@", ""))',
                f"| lookup {lookup.name} {lookup.column} AS {key} OUTPUT {lookup.column} AS {self.flag_field}",
            ]
        return [f'| lookup {lookup.name} {lookup.column} AS "{field}" OUTPUT {lookup.column} AS {self.flag_field}']


def resolve(name: str) -> PlaceholderSpec:
    if name.startswith(WATCHLIST_PREFIX):
        category = name[len(WATCHLIST_PREFIX) :]
        if category not in WATCHLIST_CATEGORIES:
            raise ValueError(f"%{name}%: unknown watchlist category {category!r}")
        return PlaceholderSpec(name, "watchlist", category=category)
    if name in LOOKUPS:
        return PlaceholderSpec(name, "lookup", lookup=LOOKUPS[name])
    raise ValueError(f"%{name}% is neither a watchlist category ({WATCHLIST_PREFIX}<category>) nor a lookup")


def _literal(value: str) -> str:
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def sqlite_values(name: str, watchlist: Iterable[Dict[str, str]], lookups: Dict[str, List[str]]) -> List[str]:
    """The Sigma values (wildcards allowed) a placeholder stands for in SQLite."""
    placeholder = resolve(name)
    if placeholder.kind == "watchlist":
        values = [
            _literal(row["client_id"].strip())
            for row in watchlist
            if (row.get("category") or "custom").strip() == placeholder.category and row.get("client_id", "").strip()
        ]
    else:
        lookup = placeholder.lookup
        assert lookup is not None
        rows = lookups[name] if name in lookups else lookup.values()
        if lookup.match == "cidr":
            values = [str(pattern) for row in rows for pattern in SigmaCIDRExpression(row).expand("*")]
        elif lookup.match == "email_domain":
            values = ["*@" + _literal(row.lower()) for row in rows]
        elif lookup.match == "wildcard":
            values = list(rows)
        else:
            values = [_literal(row) for row in rows]
    return values or [_literal(NO_ENTRIES)]


@dataclass
class ListPlaceholderTransformation(BasePlaceholderTransformation):
    """Replaces every placeholder with its list of values (an OR of them)."""

    values: Optional[Dict[str, List[str]]] = None

    def placeholder_replacements(self, p: Placeholder) -> Iterable[SigmaString]:
        assert self.values is not None
        if p.name not in self.values:
            raise ValueError(f"no values for placeholder %{p.name}%")
        return [SigmaString(value) for value in self.values[p.name]]


def sqlite_pipeline(
    names: Iterable[str], watchlist: Iterable[Dict[str, str]] = (), lookups: Optional[Dict[str, List[str]]] = None
) -> ProcessingPipeline:
    watchlist = list(watchlist)
    values = {name: sqlite_values(name, watchlist, lookups or {}) for name in names}
    return ProcessingPipeline(
        name="TA-auth0 SQLite placeholders",
        priority=20,
        items=[ProcessingItem(ListPlaceholderTransformation(values=values), identifier="auth0_placeholders")],
    )
