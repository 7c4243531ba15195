"""The verifier against the worked signing examples of the clients (spec clients.md §1.4)."""

from __future__ import annotations

import base64

import pytest

from krakensim.runtime.keys import KeyStore, NonceState, sign, signed_path

SECRET = base64.b64encode(bytes(range(64))).decode()
NONCE = "170000000000000000"

# (signed string, expected Authent) exactly as ccxt 4.5.90 and python-kraken-sdk 3.5.1 produce them
CCXT = [
    ("symbol=PF_XBTUSD&side=buy&size=0.001&orderType=lmt&limitPrice=9400/api/v3/sendorder",
     "Q3xV1dJ8l/zm1CBEhRp5tibZUuy1lfF4sVZKUSHM/8pEqQvi/e4rr2v2FyWBxrnQ9c4RRKeMNRgLCFgeQNYHVQ=="),
    ("/api/v3/openorders",
     "01NpmRljuNFOYCFDW+OXrtHSByZQJbicy27eoNrFl8w05mo30EzFYxJjL+yj7ul6RPZy5zHB0z3sIuPz2gycng=="),
    ("orderIds=a&orderIds=b/api/v3/orders/status",
     "9IGYkFxOUzFUxZ2/JejXyBWf/jlUta0usqAVdEOgPSazlFr8X+d8SQjCfEJ6p3hUxf+R/UYJiGpaWMpfY25mhw=="),
    ('json={"batchOrder":[{"order":"cancel","order_id":"id-1"}]}/api/v3/batchorder',
     "X58gd5uSOoxzYDTrAcs68FqOmmgU18spFevv2zmPecqsy6liGR8RzJ2NgUoKX1eEC0WpbWa2bh42CgvjA8XJRg=="),
    ("maxLeverage=10&symbol=PF_XBTUSD/api/v3/leveragepreferences",
     "1nEw7iSY8/Be2+fwd+vAgIi1JR+PWbeSzmCgKtb7X61YS1IUAPBXrPlClpc6LInnxLrgNBwXwyH++qce1UL2rQ=="),
    ("count=1/api/history/v2/orders",
     "qHXdJpEpTbs7OJeone/5anitufCGLbc2NL9Cuk8FTj9UvWMl9SmLE+BF2TVPm0JGjcYqqfTOy8iGDEUB3MwxTg=="),
    ("info=funding%20rate%20change/api/history/v3/account-log",
     "PjtJ0QcUagStPZ93YTn3iKolEWstYAjV6qrmwCnc5aVn2nmGVTPtJwbE8psv3wworaMl7frBNyiYnEsTii2EEQ=="),
]
SDK = [
    (f"orderType=lmt&side=buy&size=0.001&symbol=PF_XBTUSD&limitPrice=9400{NONCE}/api/v3/sendorder",
     "7fuH02kWznTLGlWu19inHgkboRarGkVP+WzIP7+PMxh/jjKBk4Jkr1dMDN4hjoPcJ9zXgnXT7yLL5BOIvNmVFQ=="),
    (f"{NONCE}/api/v3/openorders",
     "aqqsoW7JlsgPIBKehzVEtK6bfS1LerbuLl+I9loxUr29IDq4qsgAz2YhS2fulZyzyVTslx4J5WCaBD4JNgtw7Q=="),
    (f"lastFillTime=2024-01-01T00%3A00%3A00.000Z{NONCE}/api/v3/fills",
     "awpFckZoDJUJuvA/RNrGRyrVbM5Jzs9hGSxma87XnuxdZ5nvalhSKyHRnoMMHIwIH8/pCfJcrZ2mLNkUucx8PQ=="),
    (f"symbol=PF_XBTUSD&maxLeverage=5{NONCE}/api/v3/leveragepreferences",
     "dWKfFhE5L9sbLU4M/lBkVtF+tSg6cY2D9U9yo3KaVnXDL6luXSZ9Y4L9wgudppz1wPwRnsXFMJ3+eAUv7kQBTg=="),
    ("json=%7B%22batchOrder%22%3A+%5B%7B%22order%22%3A+%22cancel%22%2C+%22order_id%22%3A+%22id-1%22%7D%5D%7D"
     f"{NONCE}/api/v3/batchorder",
     "bLDfI/o2cE9Z/nO3BBss9TOI6rlD1OmE0tON4PaKODJuc5++0k9fgBDaoI6tjRGSxEY7gh0NqHmNT3D9iwy1+w=="),
    (f"since=1650000000000{NONCE}/api/history/v2/orders",
     "6X7ajN/pI+U1SI885Oj/7fleeIdvNR19BievZshwg4sNw6O33fiORvl4y5Xr9AyPtPJYjYbgP34aW46VhtKrpQ=="),
]
# the guide's computed vectors (auth-and-limits.md §2.2), with the WebSocket example secret
GUIDE_SECRET = "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm"
GUIDE = [
    ("orderType=lmt&symbol=PF_XBTUSD&side=buy&size=1&limitPrice=94001415957147987/api/v3/sendorder",
     "tVaKjZ9qIdiBtoa6hXPaROB6dPDCXfJ+CmRiJqdzzVKoFZ1ZSpkL82sakVHhlfZH2UJtYHWD4t2t35Ms9aHNfw=="),
    ("1415957147987/api/v3/openpositions",
     "POeFsOK5gPirKa61Od2UFL4Xdh/iOjskpNYzlASnPrSIUkQkhH88M5xLBxzNgEmiu72AFL08Ou+CsgsYFm1XhA=="),
    ("/api/v3/accounts",
     "gF9iu/gh5ia5pNW4Ljh2bVCMh+kDiJcge73pOkpBG+c5eJUmWgHY0zMkMXkvOHb9RnCWKKfzg6lCzyYYI95+Jg=="),
]


@pytest.mark.parametrize(("message", "authent"), CCXT + SDK)
def test_client_examples_verify(message: str, authent: str) -> None:
    assert sign(SECRET, message.encode()) == authent
    keys = KeyStore()
    keys.add("test-api-key", SECRET, "acct")
    k = keys.verify("test-api-key", authent, message.encode())
    assert k is not None and k.account_id == "acct"


@pytest.mark.parametrize(("message", "authent"), GUIDE)
def test_guide_examples(message: str, authent: str) -> None:
    assert sign(GUIDE_SECRET, message.encode()) == authent


def test_wrong_signature_key_or_message_is_refused() -> None:
    keys = KeyStore()
    keys.add("k", SECRET, "acct")
    message, authent = CCXT[0]
    assert keys.verify("k", authent, message.encode() + b"x") is None
    assert keys.verify("other", authent, message.encode()) is None
    assert keys.verify("k", authent[:-4] + "AAA=", message.encode()) is None
    assert keys.verify("k", "not base64 at all", message.encode()) is None


def test_signed_path_drops_derivatives_prefix_only() -> None:
    assert signed_path("/derivatives/api/v3/sendorder") == "/api/v3/sendorder"
    assert signed_path("/api/history/v2/orders") == "/api/history/v2/orders"


NOW_MS = 1_795_574_219_037  # the server's clock when the SDK nonce below was made


def test_nonce_duplicate_and_threshold() -> None:
    n = NonceState()
    base = 179_557_421_903_705_440  # the SDK's 1e-8 s nonces
    assert n.check(base, NOW_MS) is None
    n.accept(base)
    assert n.check(base, NOW_MS) == "nonceDuplicate"
    assert n.check(base - 1_000_000_000, NOW_MS) is None  # 10 s out of order: tolerated
    n.accept(base - 1_000_000_000)
    assert n.check(base - 1_000_000_000, NOW_MS) == "nonceDuplicate"
    assert n.check(base - 100_000_000_000, NOW_MS) == "nonceBelowThreshold"  # 1000 s behind
    ms = NonceState()
    ms.accept(1_415_957_147_987)
    assert ms.check(1_415_957_147_987 - 10_000, NOW_MS) is None
    assert ms.check(1_415_957_147_987 - 1_000_000, NOW_MS) == "nonceBelowThreshold"
