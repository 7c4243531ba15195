"""Write docs/coverage.md (the spec's endpoints and feeds, served or not) from the route table."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from krakensim.serve.coverage_doc import render  # noqa: E402

if __name__ == "__main__":
    (ROOT / "docs" / "coverage.md").write_text(render())
    print("wrote docs/coverage.md")
