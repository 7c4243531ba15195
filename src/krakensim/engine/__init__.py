"""Pure domain: instruments, books, matching, accounts and margin. No I/O, no clock."""

from .exchange import Exchange, Result
from .instruments import Instrument, default_instruments

__all__ = ["Exchange", "Instrument", "Result", "default_instruments"]
