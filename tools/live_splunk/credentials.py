"""The run's Splunk admin password and HEC token: generated with :mod:`secrets`, never printed or written."""

import secrets
import uuid
from dataclasses import dataclass, field

ADMIN = "admin"
MASK = "********"


@dataclass(frozen=True)
class Credentials:
    password: str = field(repr=False)
    hec_token: str = field(repr=False)

    @classmethod
    def generate(cls) -> "Credentials":
        # Splunk wants at least 8 characters; token_urlsafe gives [A-Za-z0-9_-], safe in the image's YAML defaults.
        password = "Ta0-" + secrets.token_urlsafe(24)
        # HEC tokens are GUIDs.
        token = str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))
        return cls(password=password, hec_token=token)

    def redact(self, text: str) -> str:
        """``text`` with both secrets masked (for container logs and error messages shown to the user)."""
        for secret in (self.password, self.hec_token):
            if secret:
                text = text.replace(secret, MASK)
        return text
