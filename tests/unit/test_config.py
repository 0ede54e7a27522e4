import pytest

from ta_auth0 import config
from ta_auth0.errors import ConfigurationError
from ta_auth0.logs_input import collector_options_from

PEM = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"


def test_secret_account():
    account = config.account_from(
        "acme",
        {
            "domain": "ACME.us.auth0.com",
            "client_id": " cid ",
            "auth_method": "client_secret",
            "client_secret": "Sup3rS3cret!",
        },
    )
    assert account.domain == "acme.us.auth0.com"
    assert account.credentials.client_id == "cid"
    assert account.credentials.client_secret == "Sup3rS3cret!"
    assert "Sup3rS3cret!" not in repr(account)


def test_private_key_account_keeps_key_id():
    account = config.account_from(
        "a", {"domain": "t.auth0.com", "client_id": "c", "auth_method": "private_key_jwt", "private_key": PEM,
              "key_id": "k1"}
    )  # fmt: skip
    assert account.credentials.private_key_pem == PEM
    assert account.credentials.key_id == "k1"
    assert "PRIVATE" not in repr(account)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"domain": "https://t.auth0.com", "client_id": "c", "client_secret": "s"}, "scheme"),
        ({"domain": "t.auth0.com", "client_id": "", "client_secret": "s"}, "no client ID"),
        ({"domain": "t.auth0.com", "client_id": "c"}, "client secret but none is stored"),
        ({"domain": "t.auth0.com", "client_id": "c", "client_secret": "******"}, "none is stored"),
        ({"domain": "t.auth0.com", "client_id": "c", "auth_method": "private_key_jwt"}, "no private key"),
        ({"domain": "t.auth0.com", "client_id": "c", "auth_method": "basic"}, "unknown authentication method"),
    ],
)
def test_bad_accounts_are_named(fields, says):
    with pytest.raises(ConfigurationError, match=says):
        config.account_from("acme", fields)


def test_settings_defaults_and_values():
    default = config.client_settings_from({})
    assert default.rate_limit_share == 0.5
    assert default.read_timeout == 30
    assert default.ca_bundle_path is None
    assert default.proxy_url is None
    custom = config.client_settings_from({"rate_limit_share": "100", "request_timeout": "60", "ca_bundle_path": "/x"})
    assert (custom.rate_limit_share, custom.read_timeout, custom.ca_bundle_path) == (1.0, 60.0, "/x")


@pytest.mark.parametrize(
    ("advanced", "says"),
    [({"rate_limit_share": "0"}, "from 1 to 100"), ({"rate_limit_share": "half"}, "whole number"),
     ({"request_timeout": "1"}, "Request timeout")],
)  # fmt: skip
def test_bad_settings_are_named(advanced, says):
    with pytest.raises(ConfigurationError, match=says):
        config.client_settings_from(advanced)


def test_proxy_urls():
    assert config.build_proxy_url(None) is None
    assert config.build_proxy_url({"proxy_enabled": "0", "proxy_url": "p"}) is None
    assert config.build_proxy_url({"proxy_enabled": "1", "proxy_url": "proxy", "proxy_port": "3128"}) == (
        "http://proxy:3128"
    )
    assert (
        config.build_proxy_url(
            {"proxy_enabled": "true", "proxy_type": "socks5", "proxy_rdns": "1", "proxy_url": "p", "proxy_port": 1080,
             "proxy_username": "u@x", "proxy_password": "p:w/"}
        )
        == "socks5h://u%40x:p%3Aw%2F@p:1080"
    )  # fmt: skip
    with pytest.raises(ConfigurationError, match="host or port"):
        config.build_proxy_url({"proxy_enabled": "1", "proxy_url": "p"})
    with pytest.raises(ConfigurationError, match="proxy type"):
        config.build_proxy_url({"proxy_enabled": "1", "proxy_url": "p", "proxy_port": "1", "proxy_type": "ftp"})


def test_proxy_password_never_in_settings_repr():
    settings = config.client_settings_from(
        {}, {"proxy_enabled": "1", "proxy_url": "p", "proxy_port": "1", "proxy_username": "u", "proxy_password": "pw9"}
    )
    assert "pw9" not in repr(settings)


def test_input_options():
    options = collector_options_from({"start_from": "now", "days_back": "3", "time_budget": "100",
                                      "log_categories": "auth.login.fail|management.success"})  # fmt: skip
    assert options.start_from == "now"
    assert options.days_back == 3
    assert options.time_budget == 100
    assert options.categories == {"auth.login.fail", "management.success"}
    assert collector_options_from({}).categories is None


@pytest.mark.parametrize(
    ("params", "says"),
    [({"start_from": "yesterday"}, "First run starts at"), ({"days_back": "99"}, "Days back"),
     ({"time_budget": "x"}, "Run time budget"), ({"log_categories": "auth.bogus"}, "Unknown Auth0 log categories")],
)  # fmt: skip
def test_bad_input_options_are_named(params, says):
    with pytest.raises(ConfigurationError, match=says):
        collector_options_from(params)
