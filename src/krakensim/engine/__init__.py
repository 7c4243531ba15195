"""Pure domain: instruments, books, matching, accounts and margin. No I/O, no clock."""

from .exchange import Exchange
from .instruments import Instrument, default_instruments
from .result import Result

__all__ = ["Exchange", "Instrument", "Result", "default_instruments"]
