"""The challenge (connection.md §4): the spec's worked vectors are accepted, anything else refused; and
the certificate ``--tls-port`` makes is one a client trusting its CA accepts for localhost and the
loopback addresses."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest

from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.serve.tls import ensure_certificate, server_context
from krakensim.ws.hub import Hub, Key, Sub
from krakensim.ws.session import Session

# (api_secret, challenge, signed_challenge): connection.md §4.3
VECTORS = [
    ("7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm",
     "c100b894-1729-464d-ace1-52dbce11db42",
     "4JEpF3ix66GA2B+ooK128Ift4XQVtc137N9yeg4Kqsn9PI0Kpzbysl9M1IeCEdjg0zl00wkVqcsnG4bmnlMb3A=="),
    ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
     "226aee50-88fc-4618-a42a-34f7709570b2",
     "uI506uuxHesOy5ARmPf7tntMqCAGiAf+W4q69I/S6UeO0gQTVLJHuIgfkxI5pUYpP5fqWE9mqu3ix8ov2uHO9w=="),
    ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
     "c100b894-1729-464d-ace1-52dbce11db42",
     "Z/2B9JBJvBEo7IpcdELQv1DD5CEeJ4COiBQpC0qwpHYDoCj45hz66VsEjvT7cS4IPFhsdAtjmi+YfgoLaF2HrQ=="),
    ("QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+fw==",
     "226aee50-88fc-4618-a42a-34f7709570b2",
     "W/XAUuk1JgqfCLS8ftHVqly19oh0UQB9h69Cr+kOUU7KAOq9HfUPqnwLUxXbpPDTODfWBPzPTDkNAwguMVan0w=="),
]


class Peer:
    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.subs: dict[Key, Sub] = {}

    def flush(self) -> None:
        self.out.clear()

    def drop(self, code: int, reason: str) -> None:
        pass


@pytest.mark.parametrize(("secret", "challenge", "signed"), VECTORS)
def test_the_spec_s_signed_challenges_are_accepted_and_nothing_else(secret: str, challenge: str,
                                                                    signed: str) -> None:
    rt = Runtime(seed=1, clock=ManualClock(0))
    rt.keys.add("K", secret, "account-1", "read-only")
    session = Session(Hub(rt), Peer())
    request = {"api_key": "K", "original_challenge": challenge, "signed_challenge": signed}
    assert session.account_of(request) is None  # a challenge this connection was never given
    session.challenges["K"] = [challenge]
    assert session.account_of(request) == "account-1"
    for wrong in ({**request, "signed_challenge": signed.lower()}, {**request, "api_key": "k"},
                  {**request, "original_challenge": challenge.upper()}, {**request, "signed_challenge": 7}):
        assert session.account_of(wrong) is None


def test_the_generated_certificate_is_trusted_through_its_ca_for_each_loopback_name(tmp_path: Path) -> None:
    files = ensure_certificate(str(tmp_path / "tls"))
    again = ensure_certificate(str(tmp_path / "tls"))  # kept: made once
    assert again == files and files.ca is not None
    assert (tmp_path / "tls" / "server.key").stat().st_mode & 0o077 == 0  # the key is the owner's alone
    server = server_context(files)
    for family, host, name in ((socket.AF_INET, "127.0.0.1", "127.0.0.1"), (socket.AF_INET, "127.0.0.1", "localhost"),
                               (socket.AF_INET6, "::1", "::1")):
        client = ssl.create_default_context(cafile=files.ca)
        listener = socket.socket(family)
        try:
            listener.bind((host, 0))
        except OSError:
            continue  # (no IPv6 here)
        listener.listen(1)

        def serve(listener: socket.socket = listener) -> None:
            conn, _ = listener.accept()
            with server.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"ok")

        t = threading.Thread(target=serve)
        t.start()
        with socket.create_connection((host, listener.getsockname()[1]), timeout=5) as raw, \
                client.wrap_socket(raw, server_hostname=name) as tls:
            assert tls.recv(2) == b"ok"
        t.join(5)
        listener.close()
    stranger = ssl.create_default_context()  # the system's CAs only: refused
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def refuse() -> None:
        conn, _ = listener.accept()
        try:
            server.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()

    t = threading.Thread(target=refuse)
    t.start()
    with socket.create_connection(("127.0.0.1", listener.getsockname()[1]), timeout=5) as raw, \
            pytest.raises(ssl.SSLCertVerificationError):
        stranger.wrap_socket(raw, server_hostname="127.0.0.1")
    t.join(5)
    listener.close()
