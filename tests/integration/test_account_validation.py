"""Saving an account: a token and one logs request, each failure named (ta_auth0.account_validation)."""

import pytest
from sim_harness import CLIENT_ID, CLIENT_SECRET, DOMAIN, JWT_CLIENT_ID, make_tenant

from ta_auth0.account_validation import check_account
from ta_auth0.config import account_from, client_settings_from
from ta_auth0.errors import ConfigurationError


def _check(harness, **fields):
    account_fields = {"domain": DOMAIN, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **fields}
    check_account(account_from("acme", account_fields), client_settings_from(harness.settings))


def test_valid_account_passes(harness_for):
    _check(harness_for(make_tenant(count=3)))


def test_valid_private_key_jwt_account_passes(harness_for, rsa_private_pem):
    private, public = rsa_private_pem
    harness = harness_for(make_tenant(count=3, public_key=public))
    _check(harness, client_id=JWT_CLIENT_ID, auth_method="private_key_jwt", private_key=private, client_secret="")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"client_secret": "wrong"}, "rejected the client secret"),
        ({"client_id": "unknown-client"}, "rejected the client secret"),
        ({"domain": "other-tenant.us.auth0.com"}, "does not resolve"),
    ],
)
def test_wrong_credentials_or_domain_are_named(harness_for, fields, message):
    harness = harness_for(make_tenant(count=3))
    with pytest.raises(ConfigurationError, match=message):
        _check(harness, **fields)


def test_wrong_private_key_is_named(harness_for, rsa_private_pem):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    _, public = rsa_private_pem
    other = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    harness = harness_for(make_tenant(count=3, public_key=public))
    with pytest.raises(ConfigurationError, match="private key JWT"):
        _check(harness, client_id=JWT_CLIENT_ID, auth_method="private_key_jwt", private_key=other.decode())


def test_missing_scope_is_named(harness_for):
    harness = harness_for(make_tenant(count=3, scopes=("read:clients",)))
    with pytest.raises(ConfigurationError, match=r"missing the scope read:logs or read:logs_users"):
        _check(harness)


def test_an_application_that_can_read_secrets_is_refused(harness_for):
    harness = harness_for(make_tenant(count=3, scopes=("read:logs", "read:client_keys")))
    with pytest.raises(ConfigurationError, match="read:client_keys"):
        _check(harness)


def test_untrusted_certificate_is_named(harness_for):
    harness = harness_for(make_tenant(count=3))
    harness.settings["ca_bundle_path"] = ""  # the bundled CAs do not trust the simulator
    with pytest.raises(ConfigurationError, match="TLS verification"):
        _check(harness)
