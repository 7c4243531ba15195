"""krakensim's version (one place: the package, the CLI and the control API read it)."""

__version__ = "0.1.0"
