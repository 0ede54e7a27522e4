"""Small configuration snapshots for the findings tests (plain data, as the collector returns it)."""

TENANT = "acme.us.auth0.com"
MGMT = f"https://{TENANT}/api/v2/"
MGMT_SCOPES = [f"{verb}:{thing}" for thing in ("users", "clients", "client_grants", "connections", "actions",
               "roles", "tenant_settings", "logs", "rules", "resource_servers") for verb in ("read", "create",
               "update", "delete")] + ["read:client_keys", "read:client_credentials"]  # fmt: skip
NOW = 1_780_000_000.0


def management_api(scopes=None):
    return {
        "id": "rs-mgmt",
        "name": "Auth0 Management API",
        "identifier": MGMT,
        "is_system": True,
        "scopes": [{"value": s} for s in (scopes or MGMT_SCOPES)],
    }


def client(client_id, name, app_type="non_interactive", **extra):
    grant_types = ["client_credentials"] if app_type == "non_interactive" else ["authorization_code"]
    document = {"client_id": client_id, "name": name, "app_type": app_type, "is_first_party": True,
                "grant_types": grant_types, "callbacks": []}  # fmt: skip
    document.update(extra)
    return document


def grant(grant_id, client_id, scopes, audience=MGMT, **extra):
    document = {"id": grant_id, "client_id": client_id, "audience": audience, "scope": list(scopes)}
    document.update(extra)
    return document


def snapshot(**objects):
    base = {"resource_server": [management_api()]}
    base.update(objects)
    return base
