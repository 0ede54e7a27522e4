"""Auth0 Management API client: token, pacing, retries. Knows HTTP, not logs or Splunk.

* Token by ``client_credentials`` for audience ``https://<domain>/api/v2/``, authenticated with the
  client secret or a Private Key JWT assertion; cached until shortly before it expires and fetched
  again once when the API answers 401.
* Every request is paced by :class:`~ta_auth0.rate_limit.RateLimitPacer` (one per bucket).
* 429: wait until the bucket's reset (plus jitter) and send the same request again.
  5xx, timeouts, dropped connections and truncated bodies: capped exponential backoff with jitter.
  Both stop after ``retry_budget`` seconds or at the run's deadline, whichever comes first.
* TLS is always verified, against the configured CA bundle or the bundled one.
"""

import json
import logging
import random
import time
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import urlencode

import requests

from . import private_key_jwt
from .errors import (
    AuthenticationError,
    DeadlineReached,
    InvalidResponseError,
    MissingScopeError,
    RequestRejectedError,
    RetriesExhaustedError,
    TenantUnreachableError,
)
from .rate_limit import RateLimitPacer

USER_AGENT = "TA-auth0 (Splunk add-on)"
AUTH_CLIENT_SECRET = "client_secret"  # noqa: S105  (a method name, not a secret)
AUTH_PRIVATE_KEY_JWT = "private_key_jwt"
#: A cached token is replaced this many seconds before it expires.
TOKEN_REFRESH_MARGIN = 60.0
_RETRYABLE_STATUS = {500, 502, 503, 504, 408}


class Credentials:
    """An M2M application's credentials. ``repr`` never shows the secret or the key."""

    __slots__ = ("auth_method", "client_id", "client_secret", "key_id", "private_key_pem")

    def __init__(
        self,
        client_id: str,
        auth_method: str = AUTH_CLIENT_SECRET,
        client_secret: Optional[str] = None,
        private_key_pem: Optional[str] = None,
        key_id: Optional[str] = None,
    ):
        self.client_id = client_id
        self.auth_method = auth_method
        self.client_secret = client_secret
        self.private_key_pem = private_key_pem
        self.key_id = key_id or None

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, auth_method={self.auth_method!r})"


class ClientSettings:
    """How to reach Auth0: share of the rate limit, TLS trust, proxy, timeouts and retry budget."""

    __slots__ = (
        "ca_bundle_path",
        "connect_timeout",
        "max_backoff",
        "proxy_url",
        "rate_limit_share",
        "read_timeout",
        "retry_budget",
    )

    def __init__(
        self,
        rate_limit_share: float = 0.5,
        ca_bundle_path: Optional[str] = None,
        proxy_url: Optional[str] = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        retry_budget: float = 300.0,
        max_backoff: float = 60.0,
    ):
        self.rate_limit_share = rate_limit_share
        self.ca_bundle_path = ca_bundle_path or None
        self.proxy_url = proxy_url or None
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retry_budget = retry_budget
        self.max_backoff = max_backoff

    def __repr__(self) -> str:  # the proxy URL may hold a password
        return (
            f"ClientSettings(rate_limit_share={self.rate_limit_share}, ca_bundle_path={self.ca_bundle_path!r}, "
            f"proxy={'set' if self.proxy_url else 'none'}, read_timeout={self.read_timeout})"
        )


class ApiResponse:
    __slots__ = ("body", "headers", "next_url", "status")

    def __init__(self, body: Any, headers: Mapping[str, str], next_url: Optional[str], status: int):
        self.body = body
        self.headers = headers
        self.next_url = next_url
        self.status = status


def _error_text(response: requests.Response) -> Tuple[str, Optional[str]]:
    """Auth0's error message and errorCode from an error body, whatever its shape."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return (response.text or "").strip()[:300] or response.reason or "", None
    if not isinstance(body, dict):
        return str(body)[:300], None
    message = body.get("message") or body.get("error_description") or body.get("error") or ""
    return str(message)[:500], body.get("errorCode") or body.get("error")


class _Transient(Exception):
    """One failed attempt that may succeed when repeated."""

    def __init__(self, reason: str, wait: Optional[float] = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class Auth0Client:
    def __init__(
        self,
        domain: str,
        credentials: Credentials,
        settings: Optional[ClientSettings] = None,
        logger: Optional[logging.Logger] = None,
        session: Optional[requests.Session] = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.domain = domain
        self.credentials = credentials
        self.settings = settings or ClientSettings()
        self.logger = logger or logging.getLogger("ta_auth0.client")
        self.clock = clock
        self.sleep = sleep
        self.deadline: Optional[float] = None
        self.base_url = f"https://{domain}"
        self.audience = f"https://{domain}/api/v2/"
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.verify = self.settings.ca_bundle_path or True
        self._session.trust_env = False  # the Proxy tab, not the environment, decides
        if self.settings.proxy_url:
            self._session.proxies = {"http": self.settings.proxy_url, "https": self.settings.proxy_url}
        self._timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        self._token: Optional[str] = None
        self._token_expires_at = 0.0
        self._private_key: Optional[private_key_jwt.RSAPrivateKey] = None
        self.api_pacer = RateLimitPacer(self.settings.rate_limit_share)
        self.token_pacer = RateLimitPacer(self.settings.rate_limit_share)
        self.granted_scopes: Tuple[str, ...] = ()
        self.stats: Dict[str, int] = {"requests": 0, "retries": 0, "rate_limited": 0, "token_requests": 0}

    # -- token ---------------------------------------------------------------------------------
    def _token_form(self) -> Dict[str, str]:
        form = {"grant_type": "client_credentials", "client_id": self.credentials.client_id, "audience": self.audience}
        if self.credentials.auth_method == AUTH_PRIVATE_KEY_JWT:
            if self._private_key is None:
                self._private_key = private_key_jwt.load_private_key(self.credentials.private_key_pem or "")
            form["client_assertion_type"] = private_key_jwt.ASSERTION_TYPE
            form["client_assertion"] = private_key_jwt.build_client_assertion(
                self.credentials.client_id, self.domain, self._private_key, self.credentials.key_id, now=self.clock()
            )
        else:
            form["client_secret"] = self.credentials.client_secret or ""
        return form

    def _token_failure(self, response: requests.Response) -> Exception:
        message, code = _error_text(response)
        who = f"client id {self.credentials.client_id!r} on tenant {self.domain}"
        if response.status_code == 401:
            what = (
                "the private key JWT (check that its public key is registered on the application, the key id, "
                "and that the application uses Private Key JWT)"
                if self.credentials.auth_method == AUTH_PRIVATE_KEY_JWT
                else "the client secret (check the client id and secret, and that the application uses "
                "'Client Secret (Post)')"
            )
            return AuthenticationError(f"Auth0 rejected {what} for {who}: {message or 'Unauthorized'}.")
        if response.status_code == 403:
            if "Service not enabled" in message or (code == "access_denied" and "audience" in message.lower()):
                return AuthenticationError(
                    f"Auth0 refused the Management API audience {self.audience} on {self.domain}: {message}. "
                    "Use the tenant's canonical domain (e.g. acme.us.auth0.com), not a custom domain."
                )
            return AuthenticationError(
                f"Auth0 refused a Management API token for {who}: {message}. Authorize the application for the "
                "Auth0 Management API (Applications > APIs > Auth0 Management API > Machine to Machine Applications)."
            )
        if response.status_code == 404:
            return TenantUnreachableError(
                f"{self.domain} answered 404 for /oauth/token: it is not an Auth0 tenant domain."
            )
        return RequestRejectedError(
            f"Auth0 token request for {who} failed with HTTP {response.status_code}: {message}",
            response.status_code,
            code,
        )

    def _fetch_token(self) -> None:
        def send() -> requests.Response:
            self.stats["token_requests"] += 1
            # The token endpoint gets no bearer token of ours.
            return self._session.post(
                f"{self.base_url}/oauth/token",
                data=self._token_form(),
                headers={"Authorization": None},
                timeout=self._timeout,
                allow_redirects=False,
            )

        response = self._with_retries("token", send, self.token_pacer)
        if response.status_code != 200:
            raise self._token_failure(response)
        try:
            body = json.loads(response.content)
            token = body["access_token"]
            expires_in = float(body.get("expires_in", 86400))
        except (ValueError, KeyError, TypeError):
            raise InvalidResponseError(f"Auth0 token response from {self.domain} is not the expected JSON.") from None
        if not isinstance(token, str) or not token:
            raise InvalidResponseError(f"Auth0 token response from {self.domain} holds no access_token.")
        scope = body.get("scope") or ""
        self.granted_scopes = tuple(scope.split()) if isinstance(scope, str) else tuple(scope)
        margin = min(TOKEN_REFRESH_MARGIN, expires_in / 10.0)
        self._token = token
        self._token_expires_at = self.clock() + expires_in - margin
        self.logger.debug("Obtained a Management API token for %s (expires in %ds)", self.domain, int(expires_in))

    def access_token(self) -> str:
        if self._token is None or self.clock() >= self._token_expires_at:
            self._fetch_token()
        return self._token or ""

    def invalidate_token(self) -> None:
        self._token = None
        self._token_expires_at = 0.0

    # -- requests ------------------------------------------------------------------------------
    def _sleep_within_deadline(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self.deadline is not None and self.clock() + seconds > self.deadline:
            raise DeadlineReached(f"the run's time budget ends before {why} (wait {seconds:.1f}s)")
        self.sleep(seconds)

    def _with_retries(
        self, what: str, send: Callable[[], requests.Response], pacer: RateLimitPacer
    ) -> requests.Response:
        """Send until a non-transient answer arrives; pace before every attempt."""
        first_failure: Optional[float] = None
        attempt = 0
        while True:
            self._sleep_within_deadline(pacer.delay_before_request(self.clock()), f"the next {what} request")
            sent_at = self.clock()
            try:
                try:
                    self.stats["requests"] += 1
                    response = send()
                except requests.exceptions.SSLError as exc:
                    raise TenantUnreachableError(
                        f"TLS verification of {self.domain} failed ({type(exc).__name__}). If a TLS-inspecting "
                        "proxy is in the way, set its CA bundle under Configuration > Advanced."
                    ) from None
                except requests.exceptions.ProxyError:
                    raise _Transient("the proxy refused or dropped the connection") from None
                except requests.exceptions.ConnectionError as exc:
                    if (
                        "Name or service not known" in str(exc)
                        or "getaddrinfo failed" in str(exc)
                        or ("nodename nor servname" in str(exc))
                    ):
                        raise TenantUnreachableError(
                            f"The tenant domain {self.domain} does not resolve: check its spelling."
                        ) from None
                    raise _Transient("the connection failed or was dropped") from None
                except requests.exceptions.Timeout:
                    raise _Transient("the request timed out") from None
                received_at = self.clock()
                if response.status_code == 429:
                    self.stats["rate_limited"] += 1
                    wait = pacer.observe_rejection(response.headers, sent_at, received_at)
                    raise _Transient("Auth0 rate limit reached (HTTP 429)", wait + random.uniform(0.1, 1.0))
                pacer.observe(response.headers, sent_at, received_at, spent_token=response.status_code < 300)
                if response.status_code in _RETRYABLE_STATUS:
                    raise _Transient(f"Auth0 answered HTTP {response.status_code}")
                return response
            except _Transient as transient:
                now = self.clock()
                first_failure = now if first_failure is None else first_failure
                attempt += 1
                self.stats["retries"] += 1
                if transient.wait is not None:
                    wait = transient.wait
                else:
                    wait = min(self.settings.max_backoff, 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)
                if now - first_failure + wait > self.settings.retry_budget:
                    raise RetriesExhaustedError(
                        f"{what} request to {self.domain} kept failing for {now - first_failure:.0f}s "
                        f"({attempt} attempts; last: {transient.reason}); will resume from the checkpoint."
                    ) from None
                self.logger.warning(
                    "%s request to %s: %s; retrying in %.1fs (attempt %d)",
                    what,
                    self.domain,
                    transient.reason,
                    wait,
                    attempt,
                )
                self._sleep_within_deadline(wait, f"retrying the {what} request")

    def get(
        self,
        path: str,
        params: Optional[Mapping[str, Any]] = None,
        url: Optional[str] = None,
        parse: Callable[[bytes], Any] = json.loads,
    ) -> ApiResponse:
        """GET a Management API path (or a full ``next`` URL on this tenant) and return its body as
        ``parse`` reads it (JSON by default; a ValueError means a malformed body, asked for again)."""
        target = url or f"{self.base_url}{path}" + (f"?{urlencode(params)}" if params else "")
        if not target.startswith(self.base_url + "/"):
            raise InvalidResponseError(f"Refusing to follow a link off the tenant: {target[:200]}")
        refreshed = False
        invalid_bodies = 0
        while True:

            def send() -> requests.Response:
                self._session.headers["Authorization"] = f"Bearer {self.access_token()}"
                return self._session.get(target, timeout=self._timeout, allow_redirects=False)

            response = self._with_retries("Management API", send, self.api_pacer)
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                self.logger.info("Management API token for %s was rejected (401); fetching a new one", self.domain)
                self.invalidate_token()
                continue
            if status != 200:
                raise self._api_failure(response, target)
            try:
                body = parse(response.content)
            except ValueError:
                invalid_bodies += 1
                if invalid_bodies > 3:
                    raise InvalidResponseError(
                        f"Auth0 returned malformed JSON for {path or 'a next page'} on {self.domain} "
                        f"{invalid_bodies} times in a row."
                    ) from None
                self.logger.warning("Auth0 returned malformed JSON from %s; requesting it again", self.domain)
                self._sleep_within_deadline(min(2.0**invalid_bodies, 10.0), "re-requesting a malformed page")
                continue
            next_link = response.links.get("next", {}).get("url") if "link" in response.headers else None
            return ApiResponse(body, response.headers, next_link, status)

    def _api_failure(self, response: requests.Response, target: str) -> Exception:
        message, code = _error_text(response)
        status = response.status_code
        path = target[len(self.base_url) :].split("?", 1)[0]
        if status == 401:
            return AuthenticationError(
                f"Auth0 rejected a fresh Management API token for {path} on {self.domain}: {message}."
            )
        if status == 403:
            expected = ""
            if "expected" in message:
                expected = message.split("expected", 1)[1].strip(" :")
                if expected.startswith("any of"):
                    expected = expected[len("any of") :].strip(" :")
            scopes = tuple(s.strip() for s in expected.split(",") if s.strip())
            needed = " or ".join(scopes) if scopes else "a scope it lacks"
            return MissingScopeError(
                f"The application {self.credentials.client_id!r} is missing the scope {needed} for {path} on "
                f"{self.domain}. Grant it under Applications > APIs > Auth0 Management API > Machine to Machine "
                f"Applications. (Auth0: {message})",
                scopes,
            )
        return RequestRejectedError(
            f"Auth0 answered HTTP {status} for {path} on {self.domain}: {message}", status, code
        )

    def close(self) -> None:
        self._session.close()
