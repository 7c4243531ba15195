"""The unwind queue and the assignment program: ``unwindqueue``, ``assignmentprogram/current|add|delete|history``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.assignment import MAX_PREFERENCES, SIZE8, TIME_FRAMES, Preference
from ..engine.commands import AddAssignmentPreference, DeleteAssignmentPreference
from ..engine.unwind import percentile, queue
from .errors import INVALID, ApiError
from .params import parse_bool, parse_decimal, parse_unsigned
from .render.numbers import iso
from .request import Reply, Request, find_instrument, ok

CONTRACT_TYPES = ("flex",)  # the margin account whose contracts a preference covers (the accounts' names)


async def unwindqueue(req: Request) -> Reply:
    """Each open position of the account and its percentile among the positions of its side."""
    ex = req.rt.exchange
    account = ex.accounts[req.account_id]
    out: list[dict[str, Any]] = []
    for s, p in account.positions.items():
        if not p.lots:
            continue
        inst = ex.instruments[s]
        order = queue(ex.risk, ex.accounts, ex.liquidation.holders.get(s, {}), inst, p.lots > 0, ex.pricing.marks[s])
        out.append({"symbol": s, "percentile": percentile(order, req.account_id)})
    return ok(req.rt.clock(), queue=out)


def _size(text: str | None) -> int | None:
    """A preference's size (contracts, a number ≥ 0) in 1e-8 contracts."""
    if text is None:
        return None
    value = parse_decimal(text) * SIZE8
    if value < 0 or value != value.to_integral_value() or value > Decimal(2**62):
        raise ApiError(INVALID)
    return int(value)


def _bool(req: Request, name: str) -> bool:
    return parse_bool(req.params.require(name))


def participant(p: Preference) -> dict[str, Any]:
    def size(v: int | None) -> int | float | None:
        return None if v is None else (v // SIZE8 if v % SIZE8 == 0 else v / SIZE8)

    return {"contractType": p.contract_type, "contract": p.contract, "maxSize": size(p.max_size),
            "maxPosition": size(p.max_position), "acceptLong": p.accept_long, "acceptShort": p.accept_short,
            "timeFrame": p.time_frame, "enabled": p.enabled}


async def current(req: Request) -> Reply:
    prefs = req.rt.exchange.assignment.of(req.account_id)
    return ok(req.rt.clock(), participants=[{"id": p.pref_id, "participant": participant(p)} for p in prefs])


async def add(req: Request) -> Reply:
    rt = req.rt
    params = req.params
    contract_type = params.require("contractType")
    if contract_type not in CONTRACT_TYPES:
        raise ApiError(INVALID)
    contract = params.get("contract")
    if contract is not None:
        inst = find_instrument(rt.exchange.listed, contract)
        if inst is None:
            raise ApiError(INVALID)
        contract = inst.symbol
    time_frame = params.require("timeFrame")
    if time_frame not in TIME_FRAMES:
        raise ApiError(INVALID)
    accept_long, accept_short, enabled = _bool(req, "acceptLong"), _bool(req, "acceptShort"), _bool(req, "enabled")
    max_size, max_position = _size(params.get("maxSize")), _size(params.get("maxPosition"))
    if len(rt.exchange.assignment.of(req.account_id)) >= MAX_PREFERENCES:
        raise ApiError(INVALID)
    res = await rt.submit(AddAssignmentPreference(req.account_id, contract_type, accept_long, accept_short,
                                                  time_frame, enabled, contract, max_size, max_position), req.stamp)
    assert res.preference is not None
    return ok(rt.clock(), id=res.preference.pref_id, participant=participant(res.preference))


async def delete(req: Request) -> Reply:
    rt = req.rt
    pref_id = parse_unsigned(req.params.require("id"), 2**62)
    res = await rt.submit(DeleteAssignmentPreference(req.account_id, pref_id), req.stamp)
    if res.preference is None:
        raise ApiError(INVALID)  # not a preference of this account
    return ok(rt.clock(), id=res.preference.pref_id, participant=participant(res.preference))


async def history(req: Request) -> Reply:
    changes = req.rt.exchange.assignment.history.get(req.account_id, [])
    return ok(req.rt.clock(), participants=[
        {"deleted": c.deleted, "participant": participant(c.preference), "timestamp": iso(c.time)}
        for c in reversed(changes)])
