"""``krakensim serve`` and the control API's token: printed at start (and where it comes from), kept
with the data, required before listening beyond loopback, and a warning when it does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from apihelpers import SRC_DIR, free_port, new_admin_token

BANNER_DONE = "/_krakensim/v1/digest"  # the banner's last line: the curl example


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KRAKENSIM_ADMIN_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC_DIR), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def serve_args(port: int, *args: str) -> list[str]:
    # serve runs the market by default (a --config file's [market] enabled decides for itself)
    quiet = [] if "--market" in args or "--config" in args else ["--quiet"]
    if "--rate-limits" not in args:  # and Kraken's rate limits: the tests' clients run unthrottled
        quiet.append("--no-rate-limits")
    return [sys.executable, "-m", "krakensim", "serve", "--port", str(port), *quiet, *args]


class Served:
    """A ``krakensim serve`` process whose output goes to files; started once its banner is out."""

    def __init__(self, tmp: Path, port: int, args: list[str], env: dict[str, str]) -> None:
        self.out, self.err = tmp / f"out-{port}-{time.monotonic_ns()}", tmp / f"err-{port}-{time.monotonic_ns()}"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(serve_args(port, *args), stdout=out, stderr=err, env=env, cwd=tmp)
        deadline = time.monotonic() + 30
        while BANNER_DONE not in self.stdout():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"no banner: {self.stdout()}\n{self.stderr()}")
            time.sleep(0.05)

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def token(self) -> str:
        found = re.search(r"control API token: +(\S+)\n +\((.*)\)", self.stdout())
        assert found, self.stdout()
        return found.group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _digest(port: int, token: str, host: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if host is not None:
        headers["Host"] = host
    return requests.get(f"http://127.0.0.1:{port}/_krakensim/v1/digest", headers=headers, timeout=10)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
@pytest.mark.parametrize("env_token", [None, ""])
def test_beyond_loopback_without_a_chosen_token_it_does_not_start(tmp_path: Path, host: str,
                                                                  env_token: str | None) -> None:
    env = _env() if env_token is None else _env(KRAKENSIM_ADMIN_TOKEN=env_token)
    out = subprocess.run(serve_args(free_port(), "--host", host, "--memory"), capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 2, out
    assert "not a loopback address" in out.stderr and "--admin-token" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and "listening" not in out.stdout


def test_a_poor_token_is_a_usage_error(tmp_path: Path) -> None:
    out = subprocess.run(serve_args(free_port(), "--memory", "--admin-token", "short"), capture_output=True,
                         text=True, env=_env(), cwd=tmp_path, timeout=60)
    assert out.returncode == 2 and "16 to 256 characters" in out.stderr, out


def test_the_token_is_printed_and_kept_with_the_data(tmp_path: Path) -> None:
    port = free_port()
    args = ["--data", str(tmp_path / "journal.sqlite")]
    first = Served(tmp_path, port, args, _env())
    try:
        token = first.token()
        assert "kept with the data in" in first.stdout() and "WARNING" not in first.stdout() + first.stderr()
        assert _digest(port, token).status_code == 200
        assert _digest(port, token[::-1]).status_code == 401
    finally:
        first.stop()
    again = Served(tmp_path, port, args, _env())
    try:
        assert again.token() == token
        assert _digest(port, token).status_code == 200
    finally:
        again.stop()


def test_in_memory_the_token_is_for_this_run(tmp_path: Path) -> None:
    tokens = []
    for _ in range(2):
        port = free_port()
        run = Served(tmp_path, port, ["--memory"], _env())
        try:
            tokens.append(run.token())
            assert "made for this run" in run.stdout()
            assert _digest(port, tokens[-1]).status_code == 200
        finally:
            run.stop()
    assert tokens[0] != tokens[1]


def test_beyond_loopback_with_a_token_it_warns_and_checks_the_host(tmp_path: Path) -> None:
    token = new_admin_token()
    port = free_port()
    run = Served(tmp_path, port, ["--host", "0.0.0.0", "--memory"], _env(KRAKENSIM_ADMIN_TOKEN=token))
    try:
        for text in (run.stdout(), run.stderr()):
            assert "WARNING: listening on 0.0.0.0, beyond loopback" in text, text
        assert run.token() == token and "given with --admin-token or KRAKENSIM_ADMIN_TOKEN" in run.stdout()
        assert _digest(port, token).status_code == 200
        assert _digest(port, token, host=f"192.0.2.7:{port}").status_code == 200  # an address: no rebinding
        assert _digest(port, token, host=f"rebind.evil.example:{port}").status_code == 403
        assert _digest(port, "x" * 32).status_code == 401
    finally:
        run.stop()
