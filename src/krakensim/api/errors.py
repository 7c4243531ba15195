"""Kraken's request-level errors: answered with its error envelope, never a framework page."""

from __future__ import annotations

REQUIRED = "requiredArgumentMissing"
INVALID = "invalidArgument"
JSON_ERROR = "Json Parse Error"
RATE_LIMITED = "apiLimitExceeded"


class ApiError(Exception):
    """A request-level error, answered with Kraken's error envelope."""

    def __init__(self, code: str, http_status: int = 200, headers: tuple[tuple[bytes, bytes], ...] = (),
                 text: str | None = None, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.http_status = http_status
        self.headers = headers  # sent with the answer (a 401's WWW-Authenticate)
        self.text = text  # answered as text/plain instead of the envelope (the History API's 429)
        self.message = message  # krakensim's own explanation, beside Kraken's word (an endpoint not served yet)
