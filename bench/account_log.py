#!/usr/bin/env python3
"""What a page of the account log costs with a full log: in process, no HTTP (the handlers' own work).

One account trades ``--fills`` times (two log entries a fill, so 20,000 entries at the default: the
retention's whole log). Timed, each the best of ``--repeat`` runs: the newest page of 500 (``desc``),
the oldest page of 500 (``from=1``, ``asc``), a page by id deep inside the log (``from``/``to``), an
``info`` filter that matches one entry (the scan passes over the whole log, rendering one), a
``since`` page near the end, a positions-history page of 500, and the whole CSV export.

    python bench/account_log.py [--fills 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from itertools import islice

from krakensim.api.account_log import LogQuery
from krakensim.api.params import Params
from krakensim.api.positions_history import position_update
from krakensim.api.render.account_log import account_log_entry, csv_row, is_position_leg
from krakensim.engine import Exchange, default_instruments
from krakensim.engine.commands import CreateAccount, PlaceOrder
from krakensim.engine.units import BUY, SELL

T0 = 1_767_225_600_000


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--fills", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    ex = Exchange(default_instruments(), seed=1)
    maker = ex.apply(CreateAccount(10**17), T0).account_id
    me = ex.apply(CreateAccount(10**17), T0).account_id
    assert maker is not None and me is not None
    for i in range(args.fills):
        side = BUY if i % 2 == 0 else SELL
        ex.apply(PlaceOrder(maker, "PF_XBTUSD", -side, "lmt", 10, 90_000), T0 + i)
        ex.apply(PlaceOrder(me, "PF_XBTUSD", side, "ioc", 10, 90_000), T0 + i)
    account = ex.accounts[me]
    log, total = account.log, account.log_entries
    inst = ex.instruments.__getitem__

    def page(**params: object) -> list[dict[str, object]]:
        q = LogQuery(Params({k: [str(v)] for k, v in params.items()}))
        return [account_log_entry(inst, e) for e in islice(q.entries(log, total), q.count)]

    def positions_page() -> list[dict[str, object]]:
        out = []
        for e in reversed(log):
            if is_position_leg(e):
                out.append(position_update(me, inst(e.symbol or ""), e))
                if len(out) == 500:
                    break
        return out

    def csv_export() -> str:
        return "\n".join(csv_row(inst, account_log_entry(inst, e), e, False) for e in reversed(log))

    print(f"account log: {len(log)} entries kept ({total} logged), {args.fills} fills")
    for name, fn in [
        ("newest 500 (desc)", lambda: page()),
        ("oldest 500 (from=1, asc)", lambda: page(**{"from": 1, "sort": "asc"})),
        ("500 by id in the middle", lambda: page(**{"from": total // 2, "to": total // 2 + 499})),
        ("info=admin transfer (whole scan, 1 rendered)", lambda: page(info="admin transfer")),
        ("since near the end", lambda: page(since=T0 + args.fills - 100)),
        ("positions page of 500", positions_page),
        ("whole CSV export", csv_export),
    ]:
        print(f"{name:48s} {best(fn, args.repeat):8.2f} ms")


if __name__ == "__main__":
    main()
