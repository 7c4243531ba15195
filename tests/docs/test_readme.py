"""The README's quick starts run as written against a real server (placeholders filled in)."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

from serverproc import free_port, start_server

ROOT = Path(__file__).resolve().parents[2]


def blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_readme_quick_starts_run(tmp_path: Path) -> None:
    key, secret = "readme-key", base64.b64encode(os.urandom(64)).decode()
    port = free_port()
    proc = start_server(port, [(key, secret)], "--memory", "--market")  # as `make serve` runs it
    try:
        base = f"http://127.0.0.1:{port}"
        found = blocks()
        assert len(found) == 2
        for code in found:
            code = (code.replace('"http://127.0.0.1:8080"', repr(base))
                    .replace('"<key printed by make serve>"', repr(key))
                    .replace('"<secret printed by make serve>"', repr(secret))
                    .replace('"<key>"', repr(key)).replace('"<secret>"', repr(secret)))
            script = tmp_path / "snippet.py"
            script.write_text(code)
            out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            assert "Traceback" not in out.stderr
        # the SDK snippet ends by printing the cancel status
        assert out.stdout.strip().splitlines()[-1] == "cancelled"
    finally:
        proc.terminate()
        proc.wait(10)
