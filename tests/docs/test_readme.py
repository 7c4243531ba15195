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
    """The README's Python quick starts (its pytest example aside: test_readme_plugin_example)."""
    text = (ROOT / "README.md").read_text()
    return [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def test_" not in b]


def test_readme_plugin_example_passes(tmp_path: Path) -> None:
    """The pytest example, as a user's test file run with the plugin (no server started by hand)."""
    text = (ROOT / "README.md").read_text()
    [example] = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def test_" in b]
    (tmp_path / "test_example.py").write_text(example)
    # the plugin's fixtures as its entry point gives them (whether or not this checkout is installed with it)
    (tmp_path / "conftest.py").write_text("from krakensim.testing.plugin import krakensim, krakensim_server, "
                                          "krakensim_settings  # noqa: F401\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path / "test_example.py")],
                         capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "1 passed" in out.stdout


def test_readme_quick_starts_run(tmp_path: Path) -> None:
    key, secret = "readme-key", base64.b64encode(os.urandom(64)).decode()
    port, tls_port = free_port(), free_port()
    data = tmp_path / "krakensim-data" / "journal.sqlite"
    # as `make serve` runs it, with the TLS port of the python-kraken-sdk WebSocket quick start
    proc = start_server(port, [(key, secret)], "--data", str(data), "--market", "--tls-port", str(tls_port))
    try:
        base = f"http://127.0.0.1:{port}"
        found = blocks()
        assert len(found) == 4  # ccxt, python-kraken-sdk, ccxt.pro, python-kraken-sdk's WebSocket client
        outputs = []
        for code in found:
            code = (code.replace('"http://127.0.0.1:8080"', repr(base))
                    .replace('"<key printed by make serve>"', repr(key))
                    .replace('"<secret printed by make serve>"', repr(secret))
                    .replace('"<key>"', repr(key)).replace('"<secret>"', repr(secret))
                    .replace('"127.0.0.1:8443/ws/v1"', repr(f"127.0.0.1:{tls_port}/ws/v1")))
            script = tmp_path / "snippet.py"
            script.write_text(code)
            env = dict(os.environ, SSL_CERT_FILE=str(data.parent / "tls" / "ca.pem"))  # the README's export
            out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
            assert out.returncode == 0, out.stderr
            assert "Traceback" not in out.stderr
            outputs.append(out.stdout)
        # the SDK snippet ends by printing the cancel status
        assert outputs[1].strip().splitlines()[-1] == "cancelled"
        # ccxt.pro: the top of the book, the last price, the flex wallet's USD
        assert "'free':" in outputs[2].strip().splitlines()[-1]
        # python-kraken-sdk over wss://: its acks, as its own tests read them
        assert "{'event': 'subscribed', 'feed': 'ticker', 'product_ids': ['PF_XBTUSD']}" in outputs[3]
        assert "{'event': 'subscribed', 'feed': 'open_orders'}" in outputs[3]
    finally:
        proc.terminate()
        proc.wait(10)
