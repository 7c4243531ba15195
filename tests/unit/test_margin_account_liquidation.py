"""Liquidation of a single-collateral margin account (``fi_xbtusd``): an inverse position margined in
bitcoin is closed when the account's portfolio value falls below its maintenance margin, the fee and
any deficit in bitcoin; the flex wallet and its positions are left alone."""

from __future__ import annotations

from krakensim.engine import Exchange, default_instruments
from krakensim.engine import events as ev
from krakensim.engine.commands import CreateAccount, MoveFunds, PlaceOrder, SetPrices
from krakensim.engine.liquidation import MARGIN_ACCOUNT_FEE_BPS
from krakensim.engine.margin_accounts import margin_account_summary
from krakensim.engine.units import BUY, SELL

T0 = 1_700_000_000_000
PI = "PI_XBTUSD"  # ticks of 0.5 USD: 90,000 USD is 180,000 ticks
PF = "PF_XBTUSD"
XBT8 = 10**8
CONTRACTS = 100_000  # 100,000 USD of PI_XBTUSD


class Venue:
    def __init__(self) -> None:
        self.ex = Exchange(default_instruments(), seed=7)
        self.t = T0
        self.events: list[ev.Event] = []

    def run(self, cmd: object) -> object:
        self.t += 1
        r = self.ex.apply(cmd, self.t)  # type: ignore[arg-type]
        self.events += r.events
        return r

    def account(self, xbt8: int, usd8: int = 0) -> str:
        r = self.run(CreateAccount(usd8, inverse_in_base=True))
        a: str = r.account_id  # type: ignore[attr-defined]
        self.run(MoveFunds(a, "XBT", xbt8, "fi_xbtusd"))
        return a

    def below_maintenance(self) -> list[str]:
        out = []
        for a, acc in self.ex.accounts.items():
            if any(p.lots for p in acc.positions.values()):
                m = margin_account_summary(self.ex.risk, acc, "XBT")
                if m.portfolio_value < m.maintenance_margin:
                    out.append(a)
        return out


def long_in_base(v: Venue, usd8: int = 0) -> tuple[str, str]:
    """An account long 100,000 USD of PI_XBTUSD at 90,000 from 0.3 XBT (about 3.7×), against a rich maker."""
    long, maker = v.account(3 * XBT8 // 10, usd8), v.account(10_000 * XBT8, 10**7 * 10**8)
    v.run(PlaceOrder(maker, PI, SELL, "lmt", CONTRACTS, 180_000))
    v.run(PlaceOrder(long, PI, BUY, "ioc", CONTRACTS, 180_000))
    assert v.ex.accounts[long].lots(PI) == CONTRACTS
    return long, maker


def test_a_mark_fall_liquidates_an_inverse_long_margined_in_bitcoin() -> None:
    v = Venue()
    long, maker = long_in_base(v)
    v.run(PlaceOrder(long, PI, SELL, "lmt", 1, 200_000))  # an order of its own: cancelled by the liquidation
    v.run(PlaceOrder(maker, PI, BUY, "lmt", 2 * CONTRACTS, 142_800))  # 71,400: above the bankruptcy price
    v.run(SetPrices(PI, mark=144_000))  # 72,000: portfolio value above maintenance
    acc = v.ex.accounts[long]
    assert acc.lots(PI) == CONTRACTS and len(acc.orders) == 1
    before = acc.wallets.margin["fi_xbtusd"]
    start = len(v.events)
    v.run(SetPrices(PI, mark=143_000))  # 71,500: below maintenance (pv 0.0125 XBT < 1,000 USD's 0.0140)
    assert acc.lots(PI) == 0 and not acc.orders
    after = v.events[start:]
    fills = [e for e in after if isinstance(e, ev.OrderFilled) and e.account_id == long]
    assert fills and {f.fill_type for f in fills} == {"liquidation"} and all(f.price == 142_800 for f in fills)
    assert fills[0].order_after.order_type == "liquidation"
    cancelled = [e for e in after if isinstance(e, ev.OrderCancelled) and e.account_id == long]
    assert cancelled[0].reason == "liquidation"
    logged = [e for e in after if isinstance(e, ev.AccountLogged) and e.account_id == long]
    # the fill's two legs (the position's, the margin account's) and the liquidation fee's entry, in bitcoin
    assert [e.info for e in logged] == ["futures liquidation"] * 3
    assert [e.asset for e in logged] == [PI, "XBT", "XBT"]
    assert [e.margin_account for e in logged[1:]] == ["fi_xbtusd"] * 2
    fee = logged[2].liquidation_fee
    assert fee == CONTRACTS * 10**8 * MARGIN_ACCOUNT_FEE_BPS // 10_000 * 10**8 // (71_400 * 10**8) > 0
    assert v.ex.liquidation.base_pools == {"XBT": fee} and v.ex.liquidation.pool == 0
    pnl = (CONTRACTS * 10**8 // 90_000 - CONTRACTS * 10**8 // 71_400)  # about −0.2894 XBT
    taker = CONTRACTS * 10**8 * 5 // 10_000 // 71_400  # the liquidation order's own fee
    assert abs(acc.wallets.margin["fi_xbtusd"] - (before + pnl - taker - fee)) <= 2  # (each amount floored)
    assert acc.wallets.margin["fi_xbtusd"] >= 0
    assert acc.balance == 0 and v.below_maintenance() == []


def test_what_the_book_cannot_absorb_is_unwound_against_the_opposite_position() -> None:
    v = Venue()
    long, maker = long_in_base(v)
    v.run(PlaceOrder(maker, PI, BUY, "lmt", 30_000, 142_800))  # absorbs 30,000 of the 100,000 contracts
    v.run(SetPrices(PI, mark=143_000))
    kinds = {(e.account_id, e.fill_type, e.lots) for e in v.events if isinstance(e, ev.OrderFilled)
             and e.fill_type not in ("maker", "taker")}
    assert (long, "liquidation", 30_000) in kinds
    assert (long, "unwindBankrupt", 70_000) in kinds and (maker, "unwindCounterparty", 70_000) in kinds
    assert v.ex.accounts[long].lots(PI) == 0 and v.ex.accounts[maker].lots(PI) == 0
    assert v.ex.accounts[long].wallets.margin["fi_xbtusd"] >= 0
    assert v.below_maintenance() == []


def test_the_flex_wallet_and_its_positions_are_left_alone() -> None:
    """A margin account's liquidation closes only its own contracts; the flex wallet's USD is not touched."""
    v = Venue()
    acc_usd = 50_000 * 10**8
    long, maker = long_in_base(v, acc_usd)
    acc = v.ex.accounts[long]
    v.run(PlaceOrder(maker, PF, SELL, "lmt", 100, 90_000))
    v.run(PlaceOrder(long, PF, BUY, "ioc", 100, 90_000))  # 0.01 BTC of PF_XBTUSD from the flex wallet
    v.run(PlaceOrder(long, PF, SELL, "lmt", 1, 99_000))  # a flex order: not cancelled
    v.run(PlaceOrder(maker, PI, BUY, "lmt", 2 * CONTRACTS, 142_800))
    v.run(SetPrices(PI, mark=143_000))
    assert acc.lots(PI) == 0 and acc.lots(PF) == 100 and len(acc.orders) == 1
    assert acc.balance == acc_usd - 100 * 90_000 * 10**4 * 5 // 10_000  # less the PF taker fee only
