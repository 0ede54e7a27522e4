"""Helpers and fixtures shared by the simulator tests.

There is deliberately no ``conftest.py`` in this directory: other test modules
import names with ``from conftest import ...``, which breaks as soon as a
second ``conftest`` module is loaded.  Test modules here bind the fixtures
they use at module level (``run_sim = helpers.run_sim``).
"""

import base64
import contextlib
import json
import os
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import pytest  # noqa: E402
import requests  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402

from tools.auth0_sim import Auth0Simulator, SimulatedTenant, scenarios  # noqa: E402

DOMAIN = "acme.us.auth0.com"
SECRET = "s3cr3t-Kx9vQ2mWz7LpT4nR8bY1"
AUDIENCE = "https://%s/api/v2/" % DOMAIN
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def public_pem(key):
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_assertion(
    key,
    client_id,
    aud="https://%s/" % DOMAIN,
    *,
    alg="RS256",
    kid=None,
    exp_in=60,
    iat_offset=0,
    jti=None,
    extra=None,
    drop=(),
    sub=None,
):
    """Build and sign a client assertion JWT with ``cryptography``."""
    now = int(time.time())
    header = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    claims = {
        "iss": client_id,
        "sub": client_id if sub is None else sub,
        "aud": aud,
        "iat": now + iat_offset,
        "exp": now + exp_in,
        "jti": jti or uuid.uuid4().hex,
    }
    claims.update(extra or {})
    for name in drop:
        claims.pop(name, None)
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + _b64(json.dumps(claims).encode())
    ).encode("ascii")
    if alg == "RS256":
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "RS384":
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA384())
    elif alg == "PS256":
        signature = key.sign(
            signing_input, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()
        )
    else:  # e.g. HS256: a junk signature, the alg itself must be refused
        signature = b"\x00" * 32
    return signing_input.decode("ascii") + "." + _b64(signature)


def make_tenant(rsa_key, *, logs=0, domain=DOMAIN, seed=1, **kwargs):
    """A tenant with the clients the tests use and ``logs`` traffic logs (last 2 days)."""
    tenant = SimulatedTenant(domain=domain, **kwargs)
    tenant.register_client(client_id="m2m-abc", client_secret=SECRET, scopes=["read:logs"])
    tenant.register_client(client_id="m2m-jwt", public_key_pem=public_pem(rsa_key), scopes=["read:logs"], kid=None)
    tenant.register_client(client_id="m2m-kid", public_key_pem=public_pem(rsa_key), scopes=["read:logs"], kid="k1")
    tenant.register_client(client_id="m2m-users", client_secret=SECRET, scopes=["read:logs_users"])
    tenant.register_client(client_id="m2m-clients", client_secret=SECRET, scopes=["read:clients"])
    tenant.register_client(client_id="m2m-nogrant", client_secret=SECRET, scopes=[])
    if logs:
        scenarios.generate_traffic(tenant, count=logs, seed=seed, return_logs=False)
    return tenant


class Api:
    """A requests Session aimed at https://<domain> (the simulator resolves it)."""

    def __init__(self, sim, domain=DOMAIN):
        self.sim = sim
        self.domain = domain
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override session.verify
        self.base = "%s://%s" % (sim.scheme, domain)

    def url(self, path):
        return self.base + path

    def post_token(self, data=None, json_body=None, headers=None):
        return self.session.post(
            self.url("/oauth/token"),
            data=data,
            json=json_body,
            headers=headers,
            verify=self.sim.ca_bundle_path,
            timeout=10,
        )

    def token(self, client_id="m2m-abc", secret=SECRET, **extra):
        data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        data["audience"] = "https://%s/api/v2/" % self.domain
        data.update(extra)
        response = self.post_token(data)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def get(self, path, params=None, token=None, headers=None, timeout=10):
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        return self.session.get(
            self.url(path) if path.startswith("/") else path,
            params=params,
            headers=headers,
            verify=self.sim.ca_bundle_path,
            timeout=timeout,
        )

    def close(self):
        self.session.close()


# -- fixtures (bound into the test modules) ------------------------------------------


@pytest.fixture(scope="session")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def run_sim():
    """``run_sim(tenants, **kwargs) -> (sim, api)``: started, domains resolved, stopped at teardown."""
    stack = contextlib.ExitStack()

    def start(tenants, **kwargs):
        sim = stack.enter_context(Auth0Simulator(tenants, **kwargs))
        stack.enter_context(sim.resolve_domains())
        api = Api(sim, tenants[0].domain)
        stack.callback(api.close)
        return sim, api

    with stack:
        yield start


@pytest.fixture
def sim_api(run_sim, rsa_key):
    """A simulator with 1,200 logs, unlimited rate, no faults."""
    tenant = make_tenant(rsa_key, logs=1200)
    sim, api = run_sim([tenant])
    return sim, api, tenant
