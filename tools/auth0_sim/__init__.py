"""Auth0 tenant simulator (dev/test only; never shipped in the add-on).

Serves ``POST /oauth/token``, the Management API log endpoints and the
configuration inventory endpoints (:mod:`.inventory`) of one or more simulated
tenants over HTTPS on 127.0.0.1, so that the add-on's Auth0
client and logs collector can be exercised end to end::

    from tools.auth0_sim import Auth0Simulator, SimulatedTenant, RateLimitPolicy, FaultPlan, scenarios

    tenant = SimulatedTenant(domain="acme.us.auth0.com", retention_days=30)
    tenant.register_client(client_id="m2m-abc", client_secret="s3cr3t", scopes=["read:logs"])
    scenarios.generate_traffic(tenant, count=20000, seed=1)
    with Auth0Simulator([tenant], rate_limit=RateLimitPolicy.per_minute(100, burst=10)) as sim, sim.resolve_domains():
        requests.get("https://acme.us.auth0.com/api/v2/logs", verify=sim.ca_bundle_path, ...)

Behaviour choices where Auth0 documents nothing (keep in mind when testing):

* Checkpoint mode (``from`` or ``take`` present): without ``from`` the page
  starts at the **oldest retained** log; ``from`` is compared as a string
  (not looked up), so a purged or synthetic id resumes at the next retained
  log.  An empty page's ``Link`` repeats the ``from`` just used.  All other
  parameters are ignored in this mode.
* Search mode: ``q`` supports the Lucene subset in :mod:`.query`
  (juxtaposition = AND); ``search`` is accepted as an alias of ``q``;
  ``fields``/``include_fields`` are honoured; ``include_totals=true`` gives
  ``{"start","limit","length","total","logs"}``; ``(page+1)*per_page > 1000``
  is 400 ``invalid_paging``.  Search results are visible immediately (no
  indexing delay is simulated).
* Logs older than ``retention_days`` (by ``date``) are invisible everywhere,
  including ``GET /api/v2/logs/{id}`` (404).
* A log's ``log_id`` embeds its indexing time (date + 0..4 s); logs added
  later with older dates therefore sort *before* ids a collector may already
  have passed, exactly like a late backfill would.  Add "live" logs with
  current dates.
* Unknown ``Host`` headers are served by the only tenant when there is one
  (handy with ``https://127.0.0.1:<port>``), else 404.
* ``Link`` headers use ``http://`` when the simulator runs with ``tls=False``.
* /oauth/token errors for a bad client assertion are 401 ``access_denied``
  with a specific ``error_description``; request-shape problems (both a
  secret and an assertion, wrong assertion type) are 400 ``invalid_request``.
* Tokens are JWT-shaped but their signature is random: only the simulator
  can validate them (it looks them up).
"""

from . import inventory, scenarios
from .faults import FAULT_KINDS, FaultPlan, FaultRule
from .ratelimit import RateLimitPolicy, TokenBucket
from .server import (
    RESOLVE_ENV_VAR,
    RESOLVER_SITE_DIR,
    ROUTES,
    Auth0Simulator,
    RequestRecord,
    Route,
    SimulatorStats,
)
from .tenant import IssuedToken, RegisteredClient, SimulatedTenant

__all__ = [
    "FAULT_KINDS",
    "RESOLVER_SITE_DIR",
    "RESOLVE_ENV_VAR",
    "ROUTES",
    "Auth0Simulator",
    "FaultPlan",
    "FaultRule",
    "IssuedToken",
    "RateLimitPolicy",
    "RegisteredClient",
    "RequestRecord",
    "Route",
    "SimulatedTenant",
    "SimulatorStats",
    "TokenBucket",
    "inventory",
    "scenarios",
]
