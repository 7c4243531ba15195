"""The assignment program: accounts that offer to take over positions a liquidation could not close.

A participant's preference (Kraken's ``AssignmentParticipantJson``) names a contract type and
optionally a contract, the sides it accepts, a size per assignment and a position it will not
exceed, when it is valid (``all``, ``weekdays``, ``weekends`` of exchange time, UTC) and whether it
is enabled. Preferences are numbered from 1 across the venue; every addition and deletion is kept
for ``assignmentprogram/history``. Sizes are in 1e-8 contracts (``SIZE8``), converted to a
contract's lots when a preference is used.
"""

from __future__ import annotations

import msgspec

from .instruments import Instrument
from .units import BUY

SIZE8 = 10**8  # sizes of a preference: 1e-8 contracts
DAY_MS = 86_400_000
TIME_FRAMES = ("all", "weekdays", "weekends")
MAX_PREFERENCES = 50  # per account: a bound on what one key can make the venue remember


class Preference(msgspec.Struct, frozen=True, gc=False):
    pref_id: int
    account_id: str
    contract_type: str  # flex
    contract: str | None
    max_size: int | None  # SIZE8
    max_position: int | None  # SIZE8
    accept_long: bool
    accept_short: bool
    time_frame: str
    enabled: bool


class PreferenceChange(msgspec.Struct, frozen=True, gc=False):
    time: int
    deleted: bool
    preference: Preference


def weekday(now: int) -> int:
    """0 (Monday) to 6 (Sunday) of an epoch-ms time, UTC (1 January 1970 was a Thursday)."""
    return (now // DAY_MS + 3) % 7


def lots_of(inst: Instrument, size8: int) -> int:
    """A preference's size in the contract's lots (rounded down)."""
    scale: int = 10**inst.precision
    return size8 * scale // SIZE8


class AssignmentProgram:
    __slots__ = ("current", "history", "next_id")

    def __init__(self) -> None:
        self.current: dict[int, Preference] = {}  # by id, oldest first: the order assignees are asked in
        self.history: dict[str, list[PreferenceChange]] = {}  # per account, oldest first
        self.next_id = 1

    def add(self, pref: Preference, now: int) -> Preference:
        pref = msgspec.structs.replace(pref, pref_id=self.next_id)
        self.next_id += 1
        self.current[pref.pref_id] = pref
        self.history.setdefault(pref.account_id, []).append(PreferenceChange(now, False, pref))
        return pref

    def delete(self, account_id: str, pref_id: int, now: int) -> Preference | None:
        pref = self.current.get(pref_id)
        if pref is None or pref.account_id != account_id:
            return None
        del self.current[pref_id]
        self.history.setdefault(account_id, []).append(PreferenceChange(now, True, pref))
        return pref

    def of(self, account_id: str) -> list[Preference]:
        return [p for p in self.current.values() if p.account_id == account_id]

    def offers(self, inst: Instrument, side: int, now: int) -> list[Preference]:
        """Enabled preferences valid now that would take a position of ``side`` (BUY: a long) in ``inst``."""
        day = weekday(now)
        frame = "weekends" if day >= 5 else "weekdays"
        out = []
        for p in self.current.values():
            if not p.enabled or (p.time_frame != "all" and p.time_frame != frame):
                continue
            if p.contract is not None and p.contract != inst.symbol:
                continue
            if not (p.accept_long if side == BUY else p.accept_short):
                continue
            out.append(p)
        return out

    def state(self) -> tuple[object, ...]:
        return (self.next_id, list(self.current.values()),
                sorted((a, [(c.time, c.deleted, c.preference.pref_id) for c in h]) for a, h in self.history.items()))
