"""The control API's gate: its token, the name it must be addressed by, and no browser-made requests.

A web page the user visits can send requests to a loopback port: GET, and POST with a
``text/plain``, ``x-www-form-urlencoded`` or ``multipart/form-data`` body, go cross-origin without
a preflight, and a DNS-rebinding page even reads the answers under a name of its own. So a control
request must
- name the server in ``Host``: ``localhost``, ``127.0.0.1``, ``[::1]`` or the address it listens on,
  with its port (a rebinding page can only send its own name); with a wildcard bind (``0.0.0.0``,
  ``::``) any IP literal, which no DNS answer can rebind;
- come from no browser page but the server's own: an ``Origin`` other than ``http://<Host>`` or a
  ``Sec-Fetch-Site`` other than ``same-origin``/``none`` is refused;
- carry the token, ``Authorization: Bearer <token>``, compared in constant time;
- on POST, declare a JSON body (``Content-Type: application/json``), which a browser sends
  cross-origin only after a CORS preflight that krakensim never grants.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from typing import Any

from ..api.errors import INVALID, ApiError

AUTH_ERROR = "authenticationError"
WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 - names of a wildcard bind, compared, never bound here
# a token is a header value: visible ASCII, long enough not to be guessed over the network
TOKEN_MIN_CHARS, TOKEN_MAX_CHARS = 16, 256
UNAUTHORIZED_HEADERS = ((b"www-authenticate", b'Bearer realm="krakensim control"'),)


def is_loopback(host: str) -> bool:
    """Is ``host`` (a name or an address, IPv6 with or without brackets) this machine's loopback?"""
    name = host.strip().lower().removeprefix("[").removesuffix("]")
    if name == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be the control API's token, or None."""
    if not TOKEN_MIN_CHARS <= len(token) <= TOKEN_MAX_CHARS:
        return f"must be {TOKEN_MIN_CHARS} to {TOKEN_MAX_CHARS} characters long"
    if any(not 0x21 <= ord(c) <= 0x7E for c in token):
        return "must be visible ASCII characters only (no spaces)"
    return None


def _split_host(value: str) -> tuple[str, str] | None:
    """``name:port`` or ``[v6]:port`` → (name without brackets, port text); None when malformed."""
    if value.startswith("["):
        name, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        return name, rest[1:]
    name, _, port = value.rpartition(":") if ":" in value else (value, "", "")
    if ":" in name:  # an IPv6 address in Host must be bracketed
        return None
    return name, port


def _normal(name: str) -> tuple[str, bool]:
    """A host name as compared (IP literals in their canonical form), and whether it is an IP literal."""
    try:
        return str(ipaddress.ip_address(name)), True
    except ValueError:
        return name, False


class Gate:
    """Decides whether a request may reach the control API; refusals are Kraken's error envelope."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()
        self._hosts: frozenset[str] = frozenset()
        self._port = ""
        self._any_ip = False

    def listen(self, host: str, port: int) -> None:
        """Where the server listens (once the socket is bound: port 0 becomes the real one)."""
        bound = host.strip().lower().removeprefix("[").removesuffix("]")
        names = {"localhost", "127.0.0.1", "::1"}
        if bound not in WILDCARDS:
            names.add(_normal(bound)[0])
        self._hosts = frozenset(names)
        self._port = str(port)
        self._any_ip = bound in WILDCARDS

    def allows_host(self, value: str) -> bool:
        parts = _split_host(value.strip().lower())
        if parts is None:
            return False
        name, is_ip = _normal(parts[0])
        port = parts[1]
        if port != self._port and not (port == "" and self._port == "80"):
            return False
        return name in self._hosts or (self._any_ip and is_ip)

    def check(self, scope: dict[str, Any]) -> None:
        """Raise Kraken's error envelope unless the request may reach the control API."""
        headers = _headers(scope["headers"])
        hosts = headers.get(b"host", [])
        if len(hosts) != 1 or not self.allows_host(hosts[0]):
            raise ApiError(AUTH_ERROR, 403)  # not addressed to this server by a name of its own
        origins = headers.get(b"origin", [])
        if origins and origins != [f"http://{hosts[0].strip().lower()}"]:
            raise ApiError(AUTH_ERROR, 403)  # a page of another origin (or an opaque "null" one)
        if any(v.strip().lower() not in ("same-origin", "none") for v in headers.get(b"sec-fetch-site", [])):
            raise ApiError(AUTH_ERROR, 403)  # a browser says another site made this request
        auth = headers.get(b"authorization", [])
        if len(auth) != 1 or not self._bearer_ok(auth[0]):
            raise ApiError(AUTH_ERROR, 401, UNAUTHORIZED_HEADERS)
        if scope["method"] == "POST":
            types = headers.get(b"content-type", [])
            if len(types) != 1 or types[0].partition(";")[0].strip().lower() != "application/json":
                raise ApiError(INVALID, 415)  # form and text bodies are what browsers send without asking

    def _bearer_ok(self, value: str) -> bool:
        scheme, _, credentials = value.strip().partition(" ")
        given = credentials.strip().encode("latin-1", "replace")
        # compared even when the scheme is wrong, so the time taken says nothing about the token
        same = hmac.compare_digest(given, self._token)
        return same and scheme.lower() == "bearer"


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[bytes, list[str]]:
    out: dict[bytes, list[str]] = {}
    for name, value in raw:
        out.setdefault(name.lower(), []).append(value.decode("latin-1"))
    return out
