import pytest

from ta_auth0.domain import validate_tenant_domain
from ta_auth0.errors import ConfigurationError


@pytest.mark.parametrize(
    "value",
    ["acme.us.auth0.com", "ACME.eu.Auth0.com", "dev-yoj8axza.au.auth0.com", "login.example.co.uk", "a-b.auth0.com."],
)
def test_valid_domains_are_normalised(value):
    assert validate_tenant_domain(value) == value.lower().rstrip(".")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("https://acme.us.auth0.com", "scheme"),
        ("acme.us.auth0.com/api/v2", "path"),
        ("acme.us.auth0.com:443", "port"),
        ("admin@acme.us.auth0.com", "user name"),
        ("user:pw@acme.us.auth0.com", "user name"),
        ("10.0.0.1", "IP address"),
        ("[::1]", "IP address"),
        ("2001:db8::1", "IP address"),
        ("acme .auth0.com", "spaces"),
        (" acme.auth0.com", "spaces"),
        ("acme.auth0.com\n", "spaces"),
        ("localhost", "fully qualified"),
        ("-acme.auth0.com", "invalid part"),
        ("acme_x.auth0.com", "invalid part"),
        ("acme.auth0.com?x=1", "query"),
        ("a" * 64 + ".auth0.com", "invalid part"),
    ],
)
def test_invalid_domains_say_what_is_wrong(value, says):
    with pytest.raises(ConfigurationError, match=says):
        validate_tenant_domain(value)


def test_ui_regex_agrees_with_the_server_side_check():
    import re

    from support import load_json

    config = load_json("globalConfig.json")
    account = next(t for t in config["pages"]["configuration"]["tabs"] if t.get("name") == "account")
    domain = next(e for e in account["entity"] if e["field"] == "domain")
    pattern = re.compile(next(v["pattern"] for v in domain["validators"] if v["type"] == "regex"))
    for good in ("acme.us.auth0.com", "dev-yoj8axza.au.auth0.com"):
        assert pattern.match(good)
    for bad in ("https://acme.us.auth0.com", "acme.us.auth0.com:443", "10.0.0.1", "a@b.com", "acme .com", "x/y.com"):
        assert not pattern.match(bad), bad
