"""A reply that is not JSON (the account log's CSV export): its bytes and their content type."""

from __future__ import annotations


class TextBody:
    __slots__ = ("data", "content_type")

    def __init__(self, data: bytes, content_type: bytes = b"text/csv") -> None:
        self.data = data
        self.content_type = content_type
