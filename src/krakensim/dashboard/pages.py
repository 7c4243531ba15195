"""The dashboard's files, read once from the package and answered from memory.

``/`` is ``static/index.html``; ``/dashboard/NAME`` is ``static/NAME`` (``vendor/…`` too). Nothing
else is a page: every other path stays the API's (its ``notFound`` envelope included). The page is
a client of the public API only (REST, ``/ws/v1``, the control API), so this module imports nothing
of krakensim's: it knows files and headers, no exchange.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

PREFIX = "/dashboard/"
TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".js": b"text/javascript; charset=utf-8",
    ".mjs": b"text/javascript; charset=utf-8",
    ".css": b"text/css; charset=utf-8",
    ".txt": b"text/plain; charset=utf-8",
    ".png": b"image/png",
    ".svg": b"image/svg+xml",
}
# the page loads nothing from elsewhere and is framed by nobody ('self' covers ws:// to the same host);
# inline styles are allowed because lightweight-charts sets its layout with style attributes (scripts stay 'self')
CSP = (b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
COMMON = ((b"content-security-policy", CSP), (b"x-content-type-options", b"nosniff"),
          (b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-cache"))

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Page:
    headers: Headers
    body: bytes


def _files() -> dict[str, bytes]:
    """Every file under static/, by its path there (``app.js``, ``vendor/lightweight-charts.mjs``)."""
    out: dict[str, bytes] = {}
    stack = [("", resources.files(__package__ or "krakensim.dashboard").joinpath("static"))]
    while stack:
        prefix, folder = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                stack.append((prefix + entry.name + "/", entry))
            elif entry.is_file():
                out[prefix + entry.name] = entry.read_bytes()
    return out


class Pages:
    """``page(path)`` → the file's answer, or None when the path is not the dashboard's."""

    def __init__(self) -> None:
        self._pages: dict[str, Page] = {}
        for name, body in _files().items():
            kind = TYPES.get(name[name.rfind("."):]) if "." in name else None
            if kind is None:
                continue  # only the kinds of file the page uses are served
            headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *COMMON]
            page = Page(headers, body)
            self._pages[PREFIX + name] = page
            if name == "index.html":
                self._pages["/"] = page

    def page(self, path: str) -> Page | None:
        return self._pages.get(path)
