"""A minimal HTTP/1.1 client over one socket that sends exactly the bytes it is given.

``requests`` and ``http.client`` re-quote or refuse what a fuzz test wants to send (``%ZZ``,
raw non-ASCII or undecodable bytes in the query, header values with odd bytes); the server
must see them as they are, and the signature must cover exactly them.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

TIMEOUT_S = 10


@dataclass
class Answer:
    status: int
    headers: dict[bytes, bytes]  # lower-case names
    body: bytes


class RawConnection:
    """A keep-alive connection; reconnects when the server closed the last one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buffer = b""

    def send(self, data: bytes) -> Answer:
        """Send ``data`` (a whole request) and read one response."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT_S)
        try:
            self.sock.sendall(data)
        except OSError:  # the server may answer and close before reading everything (413, 431)
            pass
        answer = self._read()
        if answer.headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return answer

    def request(self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> Answer:
        head = [b"%s %s HTTP/1.1" % (method.encode(), target), b"Host: 127.0.0.1:%d" % self.port]
        head += [name + b": " + value for name, value in headers]
        if body or method in ("POST", "PUT"):
            head.append(b"Content-Length: %d" % len(body))
        return self.send(b"\r\n".join(head) + b"\r\n\r\n" + body)

    def _recv(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection without a whole answer")
        return chunk

    def _read(self) -> Answer:
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0"))
        while len(rest) < length:
            rest += self._recv()
        self.buffer = rest[length:]
        return Answer(int(status_line.split()[1]), headers, rest[:length])
