"""Checks an account before it is saved: a token, then one logs request; every failure named."""

import time
from typing import Callable

from .client import Auth0Client, ClientSettings
from .config import TenantAccount
from .errors import Auth0AddonError, ConfigurationError

#: Scopes that make GET /clients return client secrets (and Auth0 log a secret read for each).
SECRET_SCOPES = ("read:client_keys", "read:client_credentials")
VALIDATION_TIME_LIMIT = 45.0


def check_account(
    account: TenantAccount,
    settings: ClientSettings,
    client_factory: Callable[..., Auth0Client] = Auth0Client,
    clock: Callable[[], float] = time.time,
) -> None:
    """Raise ConfigurationError with a message for the admin unless the account can read logs."""
    settings.retry_budget = min(settings.retry_budget, 20.0)
    client = client_factory(account.domain, account.credentials, settings)
    client.deadline = clock() + VALIDATION_TIME_LIMIT
    try:
        client.get("/api/v2/logs", {"take": 1})
    except Auth0AddonError as error:
        raise ConfigurationError(str(error)) from None
    finally:
        client.close()
    risky = sorted(set(client.granted_scopes) & set(SECRET_SCOPES))
    if risky:
        raise ConfigurationError(
            f"The application {account.credentials.client_id!r} holds {', '.join(risky)}, which lets it read every "
            "application's client secret. The add-on never needs it: remove the scope from the application's "
            "Management API grant, then save again."
        )
