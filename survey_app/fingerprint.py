"""Client fingerprints: a keyed hash, never the raw IP address."""
from __future__ import annotations

import hashlib
import hmac


def client_fingerprint(secret: str, survey_id: str, ip_address: str | None, user_agent: str | None) -> str:
    """HMAC of IP and user agent under a key derived per survey, so fingerprints rotate between surveys."""
    survey_key = hmac.new(secret.encode(), survey_id.encode(), hashlib.sha256).digest()
    message = f"{ip_address or ''}\n{user_agent or ''}".encode("utf-8", "replace")
    return hmac.new(survey_key, message, hashlib.sha256).hexdigest()[:32]
