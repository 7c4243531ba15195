"""Every endpoint of the control API, by path under /_krakensim/v1/ and method: one table.

Adding an endpoint: a handler ``async def h(rt, doc) -> Reply`` in the module of its concern, and
its line in that module's table (or here)."""

from __future__ import annotations

from .routes import HANDLERS, Handler
from .venue import VENUE_HANDLERS

ENDPOINTS: dict[str, dict[str, Handler]] = {**HANDLERS, **VENUE_HANDLERS}
