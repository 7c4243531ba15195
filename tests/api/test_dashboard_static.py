"""The dashboard's files at ``/`` and ``/dashboard/…``: served by krakensim itself, from the package,
with nothing loaded from elsewhere; every other path stays the API's."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
import requests

from apihelpers import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src" / "krakensim" / "dashboard" / "static"
OWN_SCRIPTS = sorted(p.name for p in STATIC.glob("*.js"))


def test_the_root_is_the_dashboard_page(server: ServerProcess) -> None:
    r = requests.get(server.base + "/", timeout=5)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/dashboard/app.js"></script>' in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "connect-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    head = requests.head(server.base + "/", timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(r.content))


@pytest.mark.parametrize("name", [*OWN_SCRIPTS, "style.css", "vendor/lightweight-charts.mjs"])
def test_every_asset_is_served_with_its_type(server: ServerProcess, name: str) -> None:
    r = requests.get(f"{server.base}/dashboard/{name}", timeout=5)
    assert r.status_code == 200
    assert r.content == (STATIC / name).read_bytes()
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    assert r.headers["content-type"] == f"{kind}; charset=utf-8"


@pytest.mark.parametrize("method,path", [("GET", "/dashboard/nothing.js"), ("GET", "/dashboard/"),
                                         ("GET", "/dashboard/../pyproject.toml"), ("POST", "/"),
                                         ("GET", "/index.html")])
def test_any_other_path_is_the_apis_not_found(server: ServerProcess, method: str, path: str) -> None:
    r = requests.request(method, server.base + path, timeout=5)
    assert r.status_code in (404, 405)
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"] == "notFound"


def test_the_page_loads_nothing_from_elsewhere() -> None:
    """Our own modules import only each other and the vendored chart file, and fetch only this origin."""
    for name in OWN_SCRIPTS:
        text = (STATIC / name).read_text()
        for target in re.findall(r'from\s+"([^"]+)"', text):
            assert target.startswith("./"), (name, target)
            assert (STATIC / target).is_file(), (name, target)
        assert "http://" not in text and "https://" not in text, name
    html = (STATIC / "index.html").read_text()
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_vendored_chart_library_is_the_documented_release() -> None:
    head = (STATIC / "vendor" / "lightweight-charts.mjs").read_text()[:300]
    assert "TradingView Lightweight Charts™ v5.2.1" in head
    assert "Apache License" in (STATIC / "vendor" / "LICENSE-lightweight-charts.txt").read_text()


def test_a_wheel_carries_every_dashboard_file() -> None:
    """pyproject's package data names every file under static/ (a wheel without them serves nothing)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["krakensim.dashboard"]
    files = [p.relative_to(STATIC.parent).as_posix() for p in STATIC.rglob("*") if p.is_file()]
    assert files
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pat) and f.count("/") == pat.count("/")
                                           for pat in patterns)]
    assert missing == []
