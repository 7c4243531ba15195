"""krakensim: an offline, deterministic futures exchange that speaks the Kraken Futures API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__

__all__ = ["Settings", "ThreadedServer", "__version__"]

if TYPE_CHECKING:
    from .serve.build import Settings
    from .simulator import ThreadedServer


def __getattr__(name: str) -> Any:
    """The in-process server façade, imported on first use (``import krakensim.engine`` stays light)."""
    if name == "ThreadedServer":
        from .simulator import ThreadedServer

        return ThreadedServer
    if name == "Settings":
        from .serve.build import Settings

        return Settings
    raise AttributeError(name)
