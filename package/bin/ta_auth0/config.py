"""The add-on's configuration: accounts, Advanced settings and the Proxy tab, as plain objects.

The ``*_from`` functions are pure (dict in, object out, ConfigurationError with a message that names
the field); ``load_*`` read Splunk's confs and credential store through solnlib's ConfManager.
"""

from typing import Any, Mapping, Optional
from urllib.parse import quote

from . import ACCOUNT_CONF, ADDON_NAME, SETTINGS_CONF
from .client import AUTH_CLIENT_SECRET, AUTH_PRIVATE_KEY_JWT, ClientSettings, Credentials
from .domain import validate_tenant_domain
from .errors import ConfigurationError

#: Encrypted fields come back as this placeholder when the credential store could not be read.
ENCRYPTED_PLACEHOLDER = "******"
DEFAULT_RATE_LIMIT_SHARE = 50
DEFAULT_REQUEST_TIMEOUT = 30


class TenantAccount:
    __slots__ = ("credentials", "domain", "name")

    def __init__(self, name: str, domain: str, credentials: Credentials):
        self.name = name
        self.domain = domain
        self.credentials = credentials

    def __repr__(self) -> str:
        return f"TenantAccount(name={self.name!r}, domain={self.domain!r}, {self.credentials!r})"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def account_from(name: str, fields: Mapping[str, Any]) -> TenantAccount:
    domain = validate_tenant_domain(_text(fields.get("domain")))
    client_id = _text(fields.get("client_id"))
    if not client_id:
        raise ConfigurationError(f"Account {name!r} has no client ID.")
    method = _text(fields.get("auth_method")) or AUTH_CLIENT_SECRET
    if method not in (AUTH_CLIENT_SECRET, AUTH_PRIVATE_KEY_JWT):
        raise ConfigurationError(
            f"Account {name!r} has an unknown authentication method {method!r}: use client_secret or private_key_jwt."
        )
    secret = fields.get("client_secret") or ""
    private_key = fields.get("private_key") or ""
    if method == AUTH_CLIENT_SECRET:
        if not secret or secret == ENCRYPTED_PLACEHOLDER:
            raise ConfigurationError(f"Account {name!r} uses a client secret but none is stored.")
        return TenantAccount(name, domain, Credentials(client_id, method, client_secret=secret))
    if not private_key or private_key == ENCRYPTED_PLACEHOLDER:
        raise ConfigurationError(f"Account {name!r} uses Private Key JWT but no private key is stored.")
    return TenantAccount(
        name,
        domain,
        Credentials(client_id, method, private_key_pem=private_key, key_id=_text(fields.get("key_id")) or None),
    )


def whole_number(fields: Mapping[str, Any], key: str, default: int, low: int, high: int, label: str) -> int:
    """``fields[key]`` as a whole number in [low, high], the default when empty; errors name ``label``."""
    raw = fields.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigurationError(f"{label} must be a whole number from {low} to {high}, not {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{label} must be from {low} to {high}, not {value}.")
    return value


def build_proxy_url(proxy: Optional[Mapping[str, Any]]) -> Optional[str]:
    """A requests proxy URL from the Proxy tab's fields, or None when the proxy is off."""
    if not proxy or str(proxy.get("proxy_enabled", "0")).strip().lower() not in ("1", "true", "yes", "t"):
        return None
    host = _text(proxy.get("proxy_url"))
    port = _text(str(proxy.get("proxy_port") or ""))
    if not host or not port:
        raise ConfigurationError("The proxy is enabled but its host or port is empty (Configuration > Proxy).")
    scheme = _text(proxy.get("proxy_type")) or "http"
    if scheme not in ("http", "socks4", "socks5"):
        raise ConfigurationError(f"Unsupported proxy type {scheme!r}: use http, socks4 or socks5.")
    if scheme == "socks5" and str(proxy.get("proxy_rdns", "0")).strip().lower() in ("1", "true"):
        scheme = "socks5h"
    credentials = ""
    user = proxy.get("proxy_username") or ""
    if user:
        credentials = quote(user, safe="") + ":" + quote(proxy.get("proxy_password") or "", safe="") + "@"
    return f"{scheme}://{credentials}{host}:{port}"


def client_settings_from(
    advanced: Optional[Mapping[str, Any]], proxy: Optional[Mapping[str, Any]] = None
) -> ClientSettings:
    advanced = advanced or {}
    share = whole_number(advanced, "rate_limit_share", DEFAULT_RATE_LIMIT_SHARE, 1, 100, "Rate-limit share")
    timeout = whole_number(advanced, "request_timeout", DEFAULT_REQUEST_TIMEOUT, 5, 300, "Request timeout")
    ca_bundle = _text(advanced.get("ca_bundle_path")) or None
    return ClientSettings(
        rate_limit_share=share / 100.0,
        ca_bundle_path=ca_bundle,
        proxy_url=build_proxy_url(proxy),
        read_timeout=float(timeout),
    )


# -- Splunk ----------------------------------------------------------------------------------------
def _conf_manager(session_key: str, conf_name: str):
    from solnlib import conf_manager

    return conf_manager.ConfManager(
        session_key, ADDON_NAME, realm=f"__REST_CREDENTIAL__#{ADDON_NAME}#configs/conf-{conf_name}"
    )


def load_account(session_key: str, account_name: str) -> TenantAccount:
    from solnlib.conf_manager import ConfStanzaNotExistException

    try:
        fields = _conf_manager(session_key, ACCOUNT_CONF).get_conf(ACCOUNT_CONF).get(account_name)
    except ConfStanzaNotExistException:
        raise ConfigurationError(
            f"Account {account_name!r} does not exist (Configuration > Tenants); edit or delete the input."
        ) from None
    return account_from(account_name, fields)


def load_settings(session_key: str) -> ClientSettings:
    from solnlib import conf_manager

    try:
        conf = _conf_manager(session_key, SETTINGS_CONF).get_conf(SETTINGS_CONF)
    except conf_manager.ConfManagerException:
        return client_settings_from({}, None)
    advanced = conf.get("advanced") if conf.stanza_exist("advanced") else {}
    proxy = conf.get("proxy") if conf.stanza_exist("proxy") else None
    return client_settings_from(advanced, proxy)
