"""Authenticating a request: the APIKey, Authent and Nonce headers over the raw bytes.

The keys, the signature check and the nonce windows are the runtime's (``runtime.keys``);
this reads the headers and says Kraken's error when they do not hold.
"""

from __future__ import annotations

from typing import Any

from ..runtime.clock import wall_ms
from ..runtime.keys import FULL, parse_nonce, signed_path
from .errors import ApiError
from .request import Request


def authenticate(scope: dict[str, Any], req: Request, level: str, query: bytes, body: bytes) -> None:
    """Check the signature over the raw query and body; on success ``req`` names the account.

    Authentication sees only the raw bytes, before any parameter is parsed.
    """
    key = authent = nonce = None
    for name, value in scope["headers"]:
        n = name.lower()
        if n == b"apikey":
            key = value.decode("latin-1")
        elif n == b"authent":
            authent = value.decode("latin-1")
        elif n == b"nonce":
            nonce = value.decode("latin-1")
    # the History API answers a failed authentication with 401 ("Credentials required")
    status = 401 if scope["path"].startswith("/api/history/") else 200
    if not key or not authent:
        raise ApiError("authenticationError", status)
    message = query + body + (nonce or "").encode("latin-1") + signed_path(scope["path"]).encode()
    k = req.rt.keys.verify(key, authent, message)
    if k is None:
        raise ApiError("authenticationError", status)
    if level == FULL and k.access != FULL:
        raise ApiError("authenticationError", status)
    if nonce:
        n = parse_nonce(nonce)
        if n is None:
            raise ApiError("authenticationError", status)
        # against the later of the exchange's clock and the wall clock: a manual or scaled clock
        # may be anywhere, the client's nonce counts the client's own time
        err = k.nonces.check(n, max(req.rt.clock(), wall_ms()))
        if err is not None:
            raise ApiError(err, status if err == "authenticationError" else 200)
        k.nonces.accept(n)
        req.nonce = n
    req.key = key
    req.account_id = k.account_id
