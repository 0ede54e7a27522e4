"""Errors with messages meant for a Splunk admin: each says what is wrong and what to check."""

from typing import Optional, Sequence


class Auth0AddonError(Exception):
    """Base class. ``category`` feeds solnlib's categorised error logging (UCC monitoring dashboard)."""

    category = "Auth0 Error"


class ConfigurationError(Auth0AddonError):
    """The add-on's own configuration (account, input or settings) is unusable."""

    category = "Configuration Error"


class AuthenticationError(Auth0AddonError):
    """Auth0's token endpoint refused the credentials, domain or audience."""

    category = "Authentication Error"


class MissingScopeError(Auth0AddonError):
    """The token lacks a scope the endpoint needs."""

    category = "Permission Error"

    def __init__(self, message: str, required_scopes: Sequence[str] = ()):
        super().__init__(message)
        self.required_scopes = tuple(required_scopes)


class TenantUnreachableError(Auth0AddonError):
    """The tenant's host could not be reached (DNS, TLS, proxy, connection)."""

    category = "Connection Error"


class RequestRejectedError(Auth0AddonError):
    """Auth0 answered a request with a non-retryable client error (400, 404, 414, ...)."""

    category = "Request Error"

    def __init__(self, message: str, status: Optional[int] = None, error_code: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class RetriesExhaustedError(Auth0AddonError):
    """Transient failures (5xx, timeouts, dropped connections, 429s) lasted past the retry budget."""

    category = "Server Error"


class DeadlineReached(Auth0AddonError):
    """The run's time budget ends before the next request could be made; resume next interval."""

    category = "Time Budget"


class InvalidResponseError(Auth0AddonError):
    """Auth0 returned a body the add-on cannot use (not JSON, wrong shape)."""

    category = "Response Error"
