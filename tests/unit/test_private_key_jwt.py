"""The pure-Python RS256 assertion must verify with a real crypto library."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ta_auth0 import private_key_jwt
from ta_auth0.errors import ConfigurationError


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key, fmt):
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def _decode(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.mark.parametrize(
    "fmt", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL], ids=["pkcs8", "pkcs1"]
)
def test_assertion_verifies_and_carries_auth0_claims(rsa_key, fmt):
    key = private_key_jwt.load_private_key(_pem(rsa_key, fmt))
    token = private_key_jwt.build_client_assertion(
        "cid123", "acme.us.auth0.com", key, key_id="kid-1", now=1_700_000_000
    )
    header_b64, claims_b64, signature_b64 = token.split(".")
    signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    rsa_key.public_key().verify(
        signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )  # raises if invalid
    header, claims = _decode(header_b64), _decode(claims_b64)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "kid-1"}
    assert claims["iss"] == claims["sub"] == "cid123"
    assert claims["aud"] == "https://acme.us.auth0.com/"
    assert claims["iat"] == 1_700_000_000
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert len(claims["jti"]) <= 64
    assert len(token) <= 2048


def test_every_assertion_has_a_fresh_jti(rsa_key):
    key = private_key_jwt.load_private_key(_pem(rsa_key, serialization.PrivateFormat.PKCS8))
    jtis = {
        _decode(private_key_jwt.build_client_assertion("c", "t.auth0.com", key).split(".")[1])["jti"] for _ in range(5)
    }
    assert len(jtis) == 5


def test_key_repr_hides_material(rsa_key):
    key = private_key_jwt.load_private_key(_pem(rsa_key, serialization.PrivateFormat.PKCS8))
    assert repr(key) == "RSAPrivateKey(2048 bits)"


def test_windows_line_endings_are_accepted(rsa_key):
    pem = _pem(rsa_key, serialization.PrivateFormat.PKCS8).replace("\n", "\r\n")
    assert private_key_jwt.load_private_key(pem).n == rsa_key.private_numbers().public_numbers.n


def test_bad_keys_get_specific_messages(rsa_key):
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    ).decode()
    public = (
        rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    ec_key = _pem(ec.generate_private_key(ec.SECP256R1()), serialization.PrivateFormat.TraditionalOpenSSL)
    ec_pkcs8 = _pem(ec.generate_private_key(ec.SECP256R1()), serialization.PrivateFormat.PKCS8)
    small = _pem(rsa.generate_private_key(65537, 1024), serialization.PrivateFormat.PKCS8)
    cases = {
        "": "empty",
        "not a key": "not in PEM form",
        encrypted: "encrypted with a passphrase",
        public: "public key or certificate",
        ec_key: "EC key",
        ec_pkcs8: "not an RSA key",
        small: "1024 bits",
        "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----": "not valid base64",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----": "could not be read",
    }
    for pem, message in cases.items():
        with pytest.raises(ConfigurationError, match=message):
            private_key_jwt.load_private_key(pem)


def test_lifetime_is_capped_at_five_minutes(rsa_key):
    key = private_key_jwt.load_private_key(_pem(rsa_key, serialization.PrivateFormat.PKCS8))
    with pytest.raises(ValueError, match="5 minutes"):
        private_key_jwt.build_client_assertion("c", "t.auth0.com", key, lifetime=301)
