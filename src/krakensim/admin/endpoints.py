"""Every endpoint of the control API, by path under /_krakensim/v1/ and method: one table.

Adding an endpoint: a handler ``async def h(rt, doc) -> Reply`` in the module of its concern, its line
in that module's table (or here), and its schemas in admin/openapi.py's ``SCHEMAS``."""

from __future__ import annotations

from typing import Any

from ..api.request import Reply
from ..runtime.core import Runtime
from .account_list import list_accounts
from .openapi import document
from .routes import HANDLERS, Handler
from .venue import VENUE_HANDLERS

ENDPOINTS: dict[str, dict[str, Handler]] = {**HANDLERS, **VENUE_HANDLERS}
ENDPOINTS["accounts"] = {**HANDLERS["accounts"], "GET": list_accounts}  # a new dict: HANDLERS stays as it is


async def _openapi(rt: Runtime, doc: dict[str, Any]) -> Reply:
    return 200, document(ENDPOINTS)


ENDPOINTS["openapi.json"] = {"GET": _openapi}
