"""The journal encoding of commands: round trips, the format every earlier journal was written in,
and the runtime's stamp (the API key and nonce that authorised a command).

The old format is written out here by hand, from what krakensim wrote up to commit 40cd364 (plain
dicts, a ``"c"`` kind, short keys, absent keys for absent values, ``"k"``/``"n"`` beside them),
so that a change of a tag, a key or a default in ``engine/commands.py`` fails here.
"""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect as mi
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krakensim.engine import commands as c
from krakensim.engine.commands import CODEC, ENGINE_COMMANDS
from krakensim.runtime import core
from krakensim.runtime.keys import AddApiKey
from krakensim.runtime.settings import BODY_START, SetVenueSetting

# the kind ("c") and the key of every field, as the journals of earlier releases have them
OLD_FORMAT: dict[type[c.Command], tuple[str, dict[str, str]]] = {
    c.PlaceOrder: ("place", {
        "account_id": "a", "symbol": "s", "side": "d", "order_type": "t", "quantity": "q", "limit_price": "p",
        "client_order_id": "cli", "reduce_only": "ro", "process_before": "pb", "stop_price": "sp",
        "trigger_signal": "sig", "limit_offset": "lo", "trailing_deviation": "tr", "refusal": "err",
    }),
    c.CancelOrder: ("cancel", {"account_id": "a", "order_id": "o", "client_order_id": "cli", "process_before": "pb"}),
    c.EditOrder: ("edit", {
        "account_id": "a", "order_id": "o", "client_order_id": "cli", "quantity": "q", "limit_price": "p",
        "quantity_mode": "qm", "process_before": "pb", "stop_price": "sp", "trailing_deviation": "tr",
    }),
    c.CancelAll: ("cancelall", {"account_id": "a", "symbol": "s"}),
    c.ArmDeadManSwitch: ("dms", {"account_id": "a", "timeout_seconds": "t"}),
    c.SetSelfTradeStrategy: ("stp", {"account_id": "a", "strategy": "v"}),
    c.CreateAccount: ("acct", {"balance": "usd8", "account_id": "uid"}),
    c.SetPrices: ("prices", {"symbol": "s", "mark": "mark", "index": "index"}),
    c.SetMarkPrice: ("mark", {"symbol": "s", "price": "p"}),
    c.PublishIndex: ("index", {"symbol": "s", "price": "p"}),
    c.SetMarketState: ("state", {"symbol": "s", "state": "v"}),
    c.Tick: ("tick", {}),
    # added after 40cd364: pinned from the release that added it
    c.PostNotification: ("notify", {"kind": "kd", "priority": "pr", "note": "nt", "effective_time": "at",
                                    "expected_downtime_minutes": "dt"}),
    c.AddAssignmentPreference: ("apadd", {
        "account_id": "a", "contract_type": "ct", "contract": "s", "max_size": "ms", "max_position": "mp",
        "accept_long": "l", "accept_short": "sh", "time_frame": "tf", "enabled": "on",
    }),
    c.DeleteAssignmentPreference: ("apdel", {"account_id": "a", "pref_id": "id"}),
}
# what an absent key meant to the old decoder (``cmd.get(key, default)``)
OLD_DEFAULTS = {"reduce_only": False, "trigger_signal": "last", "quantity_mode": "RELATIVE"}
# commands and fields added since (wallets, preferences, subaccounts): their kind and keys are fixed from
# then on, and a field added to an old command defaults to what the old command meant
LATER_FORMAT: dict[type[c.Command], tuple[str, dict[str, str]]] = {
    c.MoveFunds: ("funds", {"account_id": "a", "currency": "u", "quantity": "q", "wallet": "w"}),
    c.SetCollateralPrice: ("collprice", {"currency": "u", "price": "p"}),
    c.Transfer: ("transfer", {"account_id": "a", "from_wallet": "fw", "to_wallet": "tw", "currency": "u",
                              "quantity": "q", "from_account": "fa", "to_account": "ta"}),
    c.WithdrawToSpot: ("withdraw", {"account_id": "a", "currency": "u", "quantity": "q", "wallet": "w"}),
    c.SetLeveragePreference: ("leverage", {"account_id": "a", "symbol": "s", "max_leverage": "l"}),
    c.SetPnlPreference: ("pnlpref", {"account_id": "a", "symbol": "s", "currency": "u"}),
    c.SetSubaccountTrading: ("subtrading", {"account_id": "a", "subaccount": "sub", "enabled": "on"}),
    c.SeedPast: ("past", {"seed": "s", "days": "d"}),
    c.RunScenario: ("scenario", {"name": "nm", "start": "t", "duration": "dt", "target": "s", "amount": "v",
                                 "path": "p"}),
    c.Requote: ("requote", {"account_id": "a", "symbol": "s", "cancel": "x", "place": "o", "move": "m"}),
}
LATER_FIELDS = {c.CreateAccount: {"master": "master", "funds": "funds", "inverse_in_base": "inverse_in_base",
                                 "market_agent": "agent"}}
LATER_DEFAULTS: dict[tuple[type[c.Command], str], object] = {
    (c.MoveFunds, "wallet"): "flex", (c.WithdrawToSpot, "wallet"): "cash", (c.CreateAccount, "funds"): (),
    (c.CreateAccount, "inverse_in_base"): False, (c.CreateAccount, "market_agent"): False,
    (c.RunScenario, "target"): "", (c.RunScenario, "amount"): 0, (c.RunScenario, "path"): (),
    (c.Requote, "cancel"): (), (c.Requote, "place"): (), (c.Requote, "move"): (),
}

INT64 = st.integers(-(2**63), 2**63 - 1)


def values(t: mi.Type) -> st.SearchStrategy[Any]:
    """Any value of a command field's type (a type not known here fails: teach it to this test)."""
    if isinstance(t, mi.StrType):
        return st.text(max_size=20)
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.IntType):
        return INT64
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.UnionType):
        return st.one_of(*[values(x) for x in t.types])
    if isinstance(t, mi.TupleType):
        return st.tuples(*[values(x) for x in t.item_types])
    if isinstance(t, mi.VarTupleType):
        return st.lists(values(t.item_type), max_size=3).map(tuple)
    raise NotImplementedError(f"no strategy for {t!r}")


def instances(cls: type[c.Command]) -> st.SearchStrategy[c.Command]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for f in info.fields:
        fields[f.name] = values(f.type) if f.required else st.just(f.default) | values(f.type)
    return st.builds(cls, **fields)


commands = st.sampled_from(ENGINE_COMMANDS).flatmap(instances)


def plain(value: Any) -> Any:
    """A value as JSON gives it back (tuples are lists, at any depth)."""
    return [plain(v) for v in value] if isinstance(value, tuple) else value


def test_the_old_format_covers_every_command_and_field() -> None:
    """Every field has its old key, and an absent key means what it meant to the old decoder."""
    assert set(ENGINE_COMMANDS) == set(OLD_FORMAT) | set(LATER_FORMAT)
    for cls, (_kind, keys) in {**OLD_FORMAT, **LATER_FORMAT}.items():
        fields = msgspec.structs.fields(cls)
        assert {f.name for f in fields} == set(keys) | set(LATER_FIELDS.get(cls, {})), cls
        for f in fields:
            if not f.required:
                assert f.default == LATER_DEFAULTS.get((cls, f.name), OLD_DEFAULTS.get(f.name)), (cls, f.name)


@settings(max_examples=200, deadline=None)
@given(commands)
def test_every_command_round_trips(command: c.Command) -> None:
    body = CODEC.encode(command)
    decoded = CODEC.decode(body)
    assert type(decoded) is type(command) and decoded == command
    record = orjson.loads(body)
    assert CODEC.from_record(record) == command  # Exchange.execute's path (a parsed record)
    assert core.CODEC.decode(body) == command  # the runtime's codec (engine commands and its own)


@settings(max_examples=200, deadline=None)
@given(commands)
def test_commands_are_written_in_the_old_format(command: c.Command) -> None:
    """``{"c": kind, key: value...}`` with only the fields that differ from their default."""
    kind, keys = {**OLD_FORMAT, **LATER_FORMAT}[type(command)]
    keys = {**keys, **LATER_FIELDS.get(type(command), {})}
    record = orjson.loads(CODEC.encode(command))
    expected: dict[str, Any] = {"c": kind}
    for f in msgspec.structs.fields(command):
        value = getattr(command, f.name)
        if f.required or value != f.default:
            expected[keys[f.name]] = orjson.loads(orjson.dumps(value))  # tuples are JSON arrays
    assert record == expected


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (b'{"c":"place","a":"x","s":"PF_XBTUSD","d":1,"t":"stp","q":5,"sp":90000,"sig":"mark",'
         b'"lo":[10,"PERCENT"],"k":"key","n":7}',
         c.PlaceOrder("x", "PF_XBTUSD", 1, "stp", 5, stop_price=90000, trigger_signal="mark",
                      limit_offset=(10, "PERCENT"))),
        (b'{"c":"mark","s":"PF_XBTUSD","p":90000}', c.SetMarkPrice("PF_XBTUSD", 90000)),
        (b'{"c":"place","a":"A","s":"PF_XBTUSD","d":-1,"t":"lmt","q":100,"cli":"A-pb","p":88500,'
         b'"pb":1767312000000,"ro":true,"k":"legacy-key","n":1000007}',
         c.PlaceOrder("A", "PF_XBTUSD", -1, "lmt", 100, 88500, "A-pb", True, 1767312000000)),
        (b'{"c":"place","a":"A","s":"PF_XBTUSD","d":1,"t":"mkt","q":100}',
         c.PlaceOrder("A", "PF_XBTUSD", 1, "mkt", 100)),
        (b'{"c":"place","a":"B","s":"PF_XBTUSD","d":-1,"t":"trailing_stop","q":100,"sig":"last",'
         b'"tr":[500,"QUOTE_CURRENCY"],"err":"TRAILING_STOP_QUOTE_DEVIATION_NOT_MULTIPLE_OF_TICK_SIZE"}',
         c.PlaceOrder("B", "PF_XBTUSD", -1, "trailing_stop", 100, trailing_deviation=(500, "QUOTE_CURRENCY"),
                      refusal="TRAILING_STOP_QUOTE_DEVIATION_NOT_MULTIPLE_OF_TICK_SIZE")),
        (b'{"c":"cancel","a":"A","cli":"A-batch-1","k":"legacy-key","n":1000031}',
         c.CancelOrder("A", client_order_id="A-batch-1")),
        (b'{"c":"cancel","a":"A","o":"8a8afdda-6ae9-4eb6-8cb0-75640dd9e761","pb":5}',
         c.CancelOrder("A", "8a8afdda-6ae9-4eb6-8cb0-75640dd9e761", process_before=5)),
        (b'{"c":"edit","a":"A","o":"o1","qm":"RELATIVE","q":200,"p":87600}',
         c.EditOrder("A", "o1", quantity=200, limit_price=87600)),
        (b'{"c":"edit","a":"A","o":"o1","qm":"ABSOLUTE","q":300,"k":"legacy-key","n":1000008}',
         c.EditOrder("A", "o1", quantity=300, quantity_mode="ABSOLUTE")),
        (b'{"c":"edit","a":"A","o":"o1","qm":"RELATIVE","sp":96000,"tr":[300,"QUOTE_CURRENCY"]}',
         c.EditOrder("A", "o1", stop_price=96000, trailing_deviation=(300, "QUOTE_CURRENCY"))),
        (b'{"c":"cancelall","a":"A"}', c.CancelAll("A")),
        (b'{"c":"cancelall","a":"A","s":"FI_XBTUSD_260327"}', c.CancelAll("A", "FI_XBTUSD_260327")),
        (b'{"c":"dms","a":"A","t":60}', c.ArmDeadManSwitch("A", 60)),
        (b'{"c":"dms","a":"A","t":0,"k":"legacy-key","n":1000045}', c.ArmDeadManSwitch("A", 0)),
        (b'{"c":"stp","a":"A","v":"CANCEL_MAKER_ANY"}', c.SetSelfTradeStrategy("A", "CANCEL_MAKER_ANY")),
        (b'{"c":"acct","usd8":100000000000000000}', c.CreateAccount(100000000000000000)),
        (b'{"c":"acct","usd8":5,"uid":"user-1"}', c.CreateAccount(5, "user-1")),
        (b'{"c":"prices","s":"PF_ETHUSD","mark":30050,"index":30000}', c.SetPrices("PF_ETHUSD", 30050, 30000)),
        (b'{"c":"prices","s":"PF_XBTUSD","index":86900}', c.SetPrices("PF_XBTUSD", index=86900)),
        (b'{"c":"index","s":"FI_XBTUSD_260626","p":180108}', c.PublishIndex("FI_XBTUSD_260626", 180108)),
        (b'{"c":"state","s":"PF_ETHUSD","v":"post_only"}', c.SetMarketState("PF_ETHUSD", "post_only")),
        (b'{"c":"tick"}', c.Tick()),
    ],
)
def test_old_journal_records_decode(record: bytes, expected: c.Command) -> None:
    for codec in (CODEC, core.CODEC):
        decoded = codec.decode(record)
        assert type(decoded) is type(expected) and decoded == expected
    assert CODEC.from_record(orjson.loads(record)) == expected


def test_the_runtime_codec_also_reads_keys_and_the_engine_codec_does_not() -> None:
    record = b'{"c":"key","k":"iw54md13","s":"fJFSb2wQ==","a":"A","x":"read-only"}'
    assert core.CODEC.decode(record) == AddApiKey("iw54md13", "fJFSb2wQ==", "A", "read-only")
    assert core.CODEC.decode(b'{"c":"key","k":"k1","s":"s1","a":"A"}').access == "full"
    with pytest.raises(msgspec.ValidationError):
        CODEC.decode(record)


def test_the_runtime_codec_also_reads_venue_settings_and_the_engine_codec_does_not() -> None:
    """Pinned: ``{"c": "setting", "s": name, "v": JSON value}`` (never "k" or "n", the stamp's keys)."""
    record = b'{"c":"setting","s":"rate_limits","v":true}'
    assert core.CODEC.decode(record) == SetVenueSetting("rate_limits", True)
    assert core.stamp_of(record) is None
    faults = SetVenueSetting("faults", {"faults": [{"kind": "unavailable", "start": 5, "id": 1}], "next_id": 2})
    body = core.encode(faults, None)
    assert body.startswith(BODY_START) and core.CODEC.decode(body) == faults
    assert orjson.loads(body) == {"c": "setting", "s": "faults", "v": {"faults": [
        {"kind": "unavailable", "start": 5, "id": 1}], "next_id": 2}}
    with pytest.raises(msgspec.ValidationError):
        CODEC.decode(record)


@pytest.mark.parametrize(
    "record",
    [
        b'{"c":"nope","a":"A"}',  # an unknown kind
        b'{"a":"A","t":60}',  # no kind
        b'{"c":"dms","a":"A"}',  # a required field missing
        b'{"c":"place","a":"A","s":"PF_XBTUSD","d":"buy","t":"lmt","q":1}',  # a field of the wrong type
        b'{"c":"place","a":"A","s":"PF_XBTUSD","d":1,"t":"stp","q":1,"lo":[10]}',  # a short pair
    ],
)
def test_malformed_records_are_refused(record: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        CODEC.decode(record)


stamps = st.tuples(st.text(max_size=40), st.integers(0, 2**63 - 1))


@settings(max_examples=200, deadline=None)
@given(commands, stamps)
def test_the_stamp_round_trips_beside_the_command(command: c.Command, stamp: tuple[str, int]) -> None:
    body = core.encode(command, stamp)
    assert core.stamp_of(body) == stamp
    assert core.CODEC.decode(body) == command and CODEC.decode(body) == command  # still a valid command
    record = orjson.loads(body)
    assert (record.pop("k"), record.pop("n")) == stamp
    assert CODEC.from_record(record) == command
    unstamped = core.encode(command, None)
    assert core.stamp_of(unstamped) is None and orjson.loads(unstamped) == record


def test_the_stamp_of_an_old_record() -> None:
    body = b'{"c":"cancel","a":"A","o":"o1","k":"legacy-fixture-key-A","n":1000031}'
    assert core.stamp_of(body) == ("legacy-fixture-key-A", 1000031)
    assert core.stamp_of(b'{"c":"cancel","a":"A","o":"o1"}') is None
    # a key command's own "k" (its API key) is not a stamp without a nonce
    assert core.stamp_of(b'{"c":"key","k":"iw54md13","s":"fJFSb2wQ==","a":"A","x":"full"}') is None


def test_a_key_command_is_never_stamped() -> None:
    """The key command's own ``"k"`` is the key it adds: a stamp would overwrite it on decoding."""
    from krakensim.runtime.keys import AddApiKey

    with pytest.raises(ValueError):
        core.encode(AddApiKey("key", "c2VjcmV0", "acct"), ("other", 1))
