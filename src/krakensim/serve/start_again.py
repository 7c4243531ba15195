"""What a reset makes again after its new exchange: the seeded past and the configured scenarios, the configured and demo accounts (same keys and
secrets, so a client configured with them goes on working) and the simulated market's accounts."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from ..admin.routes import create_account_command
from ..engine.commands import Command
from ..market.sim import MarketSim
from ..runtime.core import Runtime
from ..runtime.keys import FULL, AddApiKey
from .market import NEW_AGENT


async def _account(rt: Runtime, funds: Decimal, key: str, secret: str) -> str:
    account_id = (await rt.submit(create_account_command(funds))).account_id
    assert account_id is not None
    await rt.submit(AddApiKey(key, secret, account_id, FULL))
    return account_id


def start_again(rt: Runtime, keys: list[tuple[str, str]], funds: Decimal, demo: dict[str, str],
                sim: MarketSim | None, market_interval_ms: int,
                start_commands: Callable[[], list[Command]]) -> Callable[[], Coroutine[Any, Any, None]]:
    """The hook ``rt.on_reset`` runs after a reset (``demo`` is updated in place: its account is new)."""

    async def again() -> None:
        for cmd in start_commands():  # the seeded past and the configured scenarios, as at the start
            await rt.submit(cmd)
        for key, secret in keys:
            account_id = await _account(rt, funds, key, secret)
            if demo.get("apiKey") == key:
                demo["accountUid"] = account_id
        if demo and demo["apiKey"] not in {k for k, _ in keys}:
            demo["accountUid"] = await _account(rt, funds, demo["apiKey"], demo["apiSecret"])
        if sim is not None:
            made = [str((await rt.submit(NEW_AGENT)).account_id)
                    for _ in range(2 + len(sim.makers))]
            first_maker, sim.taker, sim.arbitrageur, *more = made  # serve/market.py's order of the meta
            sim.makers = [first_maker, *more]
            sim.__post_init__()  # the agents again, for the new accounts (their state was of the old exchange)
            journal = rt.journal
            if journal is not None:
                await rt.on_writer(lambda: journal.set_meta("market_accounts", ",".join(made)))
            if rt.market_step is not None:
                rt.market_next = rt.clock() + market_interval_ms

    return again
