"""krakensim for test suites: the ``krakensim`` pytest fixture (plugin.py) and ``Venue`` (venue.py).

``pip install krakensim`` registers the plugin (the ``pytest11`` entry point): a test that names the
``krakensim`` fixture gets a venue running in this process, reset to its start before the test.
"""

from __future__ import annotations

from .venue import Account, ControlError, Venue

__all__ = ["Account", "ControlError", "Venue"]
