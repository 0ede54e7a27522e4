"""Validation of the tenant domain an admin types: a bare host name, nothing else."""

import ipaddress
import re

from .errors import ConfigurationError

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def validate_tenant_domain(value: object) -> str:
    """Return the domain lower-cased, or raise ConfigurationError naming what is wrong with it."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("Tenant domain is empty: enter a host name such as acme.us.auth0.com.")
    if value != value.strip() or any(ch.isspace() for ch in value):
        raise ConfigurationError("Tenant domain must not contain spaces or line breaks.")
    if "://" in value or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:/", value):
        raise ConfigurationError(
            "Tenant domain must not include a scheme such as https://: enter only the host name, "
            "for example acme.us.auth0.com."
        )
    if "@" in value:
        raise ConfigurationError("Tenant domain must not include a user name or password (user@host).")
    if "/" in value or "?" in value or "#" in value or "\\" in value:
        raise ConfigurationError("Tenant domain must not include a path, query or fragment: enter only the host name.")
    candidate = value[:-1] if value.endswith(".") else value
    if candidate.startswith("[") or candidate.count(":") >= 2:
        raise ConfigurationError("Tenant domain must be a host name, not an IP address.")
    if ":" in candidate:
        raise ConfigurationError("Tenant domain must not include a port: Auth0 is always reached on port 443.")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        raise ConfigurationError("Tenant domain must be a host name, not an IP address.")
    host = candidate.lower()
    if len(host) > 253:
        raise ConfigurationError("Tenant domain is longer than 253 characters.")
    labels = host.split(".")
    if len(labels) < 2:
        raise ConfigurationError("Tenant domain must be a fully qualified host name such as acme.us.auth0.com.")
    for label in labels:
        if not _LABEL.match(label):
            raise ConfigurationError(
                f"Tenant domain has an invalid part {label!r}: use letters, digits and inner hyphens only."
            )
    if labels[-1].isdigit():
        raise ConfigurationError("Tenant domain must be a host name, not an IP address.")
    return host
