"""Private Key JWT client assertions (RFC 7523) signed with RS256, in pure Python.

Splunk's Python 3.9/3.13 on every platform (aarch64 included) must run this, so no native
crypto wheel is used: the PEM/DER key is parsed here and the PKCS#1 v1.5 signature is computed
with Python integers (CRT), which takes a few milliseconds for a 2048-bit key.
"""

import base64
import binascii
import hashlib
import json
import re
import time
import uuid
from typing import NamedTuple, Optional, Tuple

from .errors import ConfigurationError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Auth0 accepts at most 5 minutes; it recommends about one.
ASSERTION_LIFETIME_SECONDS = 60
_MIN_MODULUS_BITS = 2048
_RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")
# DER DigestInfo prefix for SHA-256 (RFC 8017 section 9.2, note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


class RSAPrivateKey(NamedTuple):
    n: int
    e: int
    d: int
    p: int
    q: int
    dp: int
    dq: int
    qinv: int

    @property
    def size_bytes(self) -> int:
        return (self.n.bit_length() + 7) // 8

    def __repr__(self) -> str:  # never print key material
        return f"RSAPrivateKey({self.n.bit_length()} bits)"


def _read_tlv(data: bytes, offset: int) -> Tuple[int, bytes, int]:
    """Read one DER element at offset: (tag, content, offset after it)."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER element")
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise ValueError("truncated DER content")
    return tag, data[offset:end], end


def _split(content: bytes) -> list:
    """The (tag, content) elements that make up a constructed element's content."""
    items = []
    offset = 0
    while offset < len(content):
        item_tag, item, offset = _read_tlv(content, offset)
        items.append((item_tag, item))
    return items


def _read_sequence(data: bytes) -> list:
    tag, content, _ = _read_tlv(data, 0)
    if tag != 0x30:
        raise ValueError("expected a DER SEQUENCE")
    return _split(content)


def _integers(items: list) -> list:
    values = []
    for tag, content in items:
        if tag != 0x02:
            raise ValueError("expected a DER INTEGER")
        values.append(int.from_bytes(content, "big", signed=True))
    return values


def _parse_pkcs1(der: bytes) -> RSAPrivateKey:
    values = _integers(_read_sequence(der))
    if len(values) < 9 or values[0] != 0:
        raise ValueError("not a two-prime RSAPrivateKey")
    return RSAPrivateKey(*values[1:9])


def _parse_pkcs8(der: bytes) -> RSAPrivateKey:
    items = _read_sequence(der)
    if len(items) < 3 or items[0][0] != 0x02 or items[1][0] != 0x30 or items[2][0] != 0x04:
        raise ValueError("not a PKCS#8 PrivateKeyInfo")
    algorithm = _split(items[1][1])
    if not algorithm or algorithm[0][0] != 0x06 or algorithm[0][1] != _RSA_ENCRYPTION_OID:
        raise ConfigurationError(
            "The private key is not an RSA key. Auth0 Private Key JWT with RS256 needs an RSA key of 2048 bits or more."
        )
    return _parse_pkcs1(items[2][1])


def load_private_key(pem: str) -> RSAPrivateKey:
    """Parse an unencrypted RSA private key in PEM (PKCS#1 or PKCS#8); errors say what was pasted instead."""
    if not isinstance(pem, str) or not pem.strip():
        raise ConfigurationError("The private key is empty: paste the PEM private key of the application's credential.")
    blocks = _PEM_BLOCK.findall(pem.replace("\r\n", "\n"))
    if not blocks:
        raise ConfigurationError(
            "The private key is not in PEM form: it must start with -----BEGIN PRIVATE KEY----- "
            "or -----BEGIN RSA PRIVATE KEY-----."
        )
    kinds = [kind for kind, _ in blocks]
    for kind, body in blocks:
        if kind not in ("PRIVATE KEY", "RSA PRIVATE KEY"):
            continue
        if "Proc-Type: 4,ENCRYPTED" in body:
            raise ConfigurationError(
                "The private key is encrypted with a passphrase. Paste it unencrypted: Splunk stores it encrypted."
            )
        try:
            der = base64.b64decode("".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError("The private key's PEM body is not valid base64.") from None
        try:
            key = _parse_pkcs1(der) if kind == "RSA PRIVATE KEY" else _parse_pkcs8(der)
        except ValueError as exc:
            raise ConfigurationError(f"The private key could not be read ({exc}).") from None
        if key.n.bit_length() < _MIN_MODULUS_BITS:
            raise ConfigurationError(
                f"The RSA key has {key.n.bit_length()} bits; Auth0 requires at least {_MIN_MODULUS_BITS}."
            )
        if (key.p * key.q != key.n) or pow(pow(2, key.e, key.n), key.d, key.n) != 2:
            raise ConfigurationError("The private key is inconsistent (its parts do not belong together).")
        return key
    if "ENCRYPTED PRIVATE KEY" in kinds:
        raise ConfigurationError(
            "The private key is encrypted with a passphrase. Paste it unencrypted: Splunk stores it encrypted."
        )
    if "EC PRIVATE KEY" in kinds:
        raise ConfigurationError("The private key is an EC key; Auth0 Private Key JWT with RS256 needs an RSA key.")
    if any("PUBLIC KEY" in kind or "CERTIFICATE" in kind for kind in kinds):
        raise ConfigurationError(
            "This is a public key or certificate. Paste the private key; Auth0 holds the public key."
        )
    raise ConfigurationError(f"Unsupported PEM block {kinds[0]!r}: paste an RSA private key.")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_rs256(key: RSAPrivateKey, message: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 signature with SHA-256 (the JWS RS256 algorithm)."""
    k = key.size_bytes
    digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    padding = b"\xff" * (k - len(digest_info) - 3)
    m = int.from_bytes(b"\x00\x01" + padding + b"\x00" + digest_info, "big")
    m1 = pow(m, key.dp, key.p)
    m2 = pow(m, key.dq, key.q)
    h = (key.qinv * (m1 - m2)) % key.p
    s = m2 + h * key.q
    if pow(s, key.e, key.n) != m:  # guards against a faulty key or computation leaking the key
        raise ConfigurationError("RSA signature self-check failed: the private key is inconsistent.")
    return s.to_bytes(k, "big")


def build_client_assertion(
    client_id: str,
    domain: str,
    key: RSAPrivateKey,
    key_id: Optional[str] = None,
    now: Optional[float] = None,
    lifetime: int = ASSERTION_LIFETIME_SECONDS,
) -> str:
    """A signed client assertion for ``https://<domain>/oauth/token``: iss = sub = client id,
    aud = ``https://<domain>/`` (trailing slash), short expiry, a unique jti."""
    if not 0 < lifetime <= 300:
        raise ValueError("Auth0 accepts client assertions that live at most 5 minutes")
    issued_at = int(time.time() if now is None else now)
    header = {"alg": "RS256", "typ": "JWT"}
    if key_id:
        header["kid"] = key_id
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"https://{domain}/",
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "jti": uuid.uuid4().hex,
    }
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    return signing_input + "." + _b64url(sign_rs256(key, signing_input.encode("ascii")))
