"""Verification of Private Key JWT client assertions, following Auth0's rules.

* header ``alg`` RS256, RS384 or PS256 (or the one registered), ``kid`` must
  match when the client was registered with one;
* ``iss`` == ``sub`` == client_id, each (and ``jti``) at most 64 characters;
* ``aud`` == ``https://<domain>/`` (trailing slash; a list containing it is
  accepted);
* ``exp`` required, not expired, at most 5 minutes ahead of now and of
  ``iat`` (both with 10 s clock skew); ``iat``/``nbf`` not in the future;
* ``jti`` required and single use;
* the whole assertion at most 2048 bytes.
"""

import base64
import json
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .tenant import SUPPORTED_ASSERTION_ALGS

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_BYTES = 2048
MAX_LIFETIME = 300
SKEW = 10
MAX_CLAIM_LEN = 64


class AssertionError_(Exception):
    """Carries the OAuth error returned by /oauth/token."""

    def __init__(self, description, status=401, error="access_denied"):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _b64decode(part):
    part = part.encode("ascii") if isinstance(part, str) else part
    return base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))


def unverified_claims(assertion):
    """Best-effort decode of the payload (for logging the client id); never raises."""
    try:
        return json.loads(_b64decode(assertion.split(".")[1]))
    except Exception:
        return {}


def _verify_signature(public_key, alg, signing_input, signature):
    if alg == "RS256":
        public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "RS384":
        public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA384())
    elif alg == "PS256":
        public_key.verify(
            signature,
            signing_input,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
            hashes.SHA256(),
        )
    else:  # pragma: no cover - filtered earlier
        raise InvalidSignature()


def verify_client_assertion(tenant, assertion, form_client_id=None, now=None):
    """Return ``(client, claims)`` or raise :class:`AssertionError_`."""
    now = time.time() if now is None else now
    if len(assertion.encode("utf-8")) > MAX_ASSERTION_BYTES:
        raise AssertionError_("client_assertion must not be larger than %d bytes" % MAX_ASSERTION_BYTES)
    parts = assertion.split(".")
    if len(parts) != 3:
        raise AssertionError_("client_assertion is not a valid JWT (expected 3 parts)")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except Exception:
        raise AssertionError_("client_assertion is not a valid JWT (cannot decode)") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AssertionError_("client_assertion is not a valid JWT")

    alg = header.get("alg")
    if alg not in SUPPORTED_ASSERTION_ALGS:
        raise AssertionError_("client_assertion alg %r is not supported (use RS256, RS384 or PS256)" % (alg,))

    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not iss or iss != sub:
        raise AssertionError_("client_assertion iss and sub claims must both be the client_id")
    if len(iss) > MAX_CLAIM_LEN:
        raise AssertionError_("client_assertion iss/sub must be at most %d characters" % MAX_CLAIM_LEN)
    if form_client_id and form_client_id != iss:
        raise AssertionError_("client_id does not match the client_assertion iss/sub claims")

    client = tenant.clients.get(iss)
    if client is None or client.public_key is None:
        raise AssertionError_("Unauthorized")
    if client.alg and alg != client.alg:
        raise AssertionError_(
            "client_assertion alg %s does not match the registered credential (%s)" % (alg, client.alg)
        )
    if client.kid is not None and header.get("kid") != client.kid:
        raise AssertionError_("client_assertion kid %r does not match a registered credential" % (header.get("kid"),))

    signing_input = (parts[0] + "." + parts[1]).encode("ascii", "replace")
    try:
        _verify_signature(client.public_key, alg, signing_input, signature)
    except (InvalidSignature, ValueError, TypeError):
        raise AssertionError_("Invalid client_assertion signature") from None

    aud = claims.get("aud")
    expected = tenant.issuer
    if not (aud == expected or (isinstance(aud, list) and expected in aud)):
        raise AssertionError_("client_assertion aud claim must be %s (got %r)" % (expected, aud))

    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise AssertionError_("client_assertion must have a numeric exp claim")
    if exp <= now - SKEW:
        raise AssertionError_("client_assertion has expired")
    if exp > now + MAX_LIFETIME + SKEW:
        raise AssertionError_("client_assertion exp must be at most %d seconds in the future" % MAX_LIFETIME)
    iat = claims.get("iat")
    if iat is not None:
        if not isinstance(iat, (int, float)) or isinstance(iat, bool):
            raise AssertionError_("client_assertion iat claim must be numeric")
        if iat > now + SKEW:
            raise AssertionError_("client_assertion iat claim is in the future")
        if exp - iat > MAX_LIFETIME + SKEW:
            raise AssertionError_("client_assertion lifetime (exp - iat) must be at most %d seconds" % MAX_LIFETIME)
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, (int, float)) or nbf > now + SKEW):
        raise AssertionError_("client_assertion is not valid yet (nbf)")

    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise AssertionError_("client_assertion must have a jti claim")
    if len(jti) > MAX_CLAIM_LEN:
        raise AssertionError_("client_assertion jti must be at most %d characters" % MAX_CLAIM_LEN)
    if not tenant._use_jti(client.client_id, jti, exp):
        raise AssertionError_("client_assertion jti has already been used (replayed assertion)")
    return client, claims
