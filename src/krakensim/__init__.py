"""krakensim: an offline, deterministic futures exchange speaking the Kraken Futures API."""

__version__ = "0.1.0"
