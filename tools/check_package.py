"""krakensim as a user installs it: build the wheel, install it in a fresh virtualenv, start it once, and run
the example user project's tests (examples/user-project) there with pytest-xdist, as a user's project would.

Everything happens in a temporary folder (the source is copied there first: no build/ or egg-info is left
in the checkout). By default (``make test``) the fresh virtualenv sees the packages already installed in the
running environment through a ``.pth`` file, so pip checks the wheel's requirements against them and installs
only the wheel (downloading ccxt and the rest again took 150-210 s of every ``make test``); with
``--isolated`` every package comes from the package registry (or pip's cache), at the versions pinned in
requirements*.txt. ``python tools/check_package.py [--isolated]`` alone works too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ["ccxt", "python-kraken-sdk", "pytest", "pytest-xdist"]  # what the example project uses
BANNER = re.compile(rb"krakensim listening on (http://\S+)")


def run(*cmd: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    started = time.perf_counter()
    subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, check=True)
    print(f"  {Path(str(cmd[0])).name} {' '.join(str(c) for c in cmd[1:3])} … {time.perf_counter() - started:.1f} s")


def pins(tmp: Path) -> Path:
    """A constraints file of every pinned version in requirements.txt and requirements-dev.txt."""
    lines = []
    for name in ("requirements.txt", "requirements-dev.txt"):
        lines += [line for line in (ROOT / name).read_text().splitlines() if "==" in line]
    out = tmp / "constraints.txt"
    out.write_text("\n".join(lines) + "\n")
    return out


def clean_env() -> dict[str, str]:
    """The environment without this checkout on the path: the installed wheel is what runs."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "KRAKENSIM_ADMIN_TOKEN")}


def start_once(venv: Path, tmp: Path) -> None:
    """``krakensim serve`` from the wheel: its banner, one answer, a clean stop."""
    env = clean_env()
    env["XDG_DATA_HOME"] = str(tmp / "data-home")  # its default data folder, not the user's
    proc = subprocess.Popen([venv / "bin" / "krakensim", "serve", "--port", "0", "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=tmp, env=env)
    assert proc.stdout is not None
    try:
        seen = b""
        deadline = time.monotonic() + 60
        while (m := BANNER.search(seen)) is None:
            line = proc.stdout.readline()
            if not line or time.monotonic() > deadline:
                raise SystemExit(f"krakensim serve did not start:\n{seen.decode(errors='replace')}")
            seen += line
        base = m.group(1).decode()
        with urllib.request.urlopen(base + "/derivatives/api/v3/instruments", timeout=30) as r:
            assert r.status == 200 and b'"result":"success"' in r.read()
        assert (tmp / "data-home" / "krakensim" / "journal.sqlite").exists(), "not in the per-user data folder"
        print(f"  krakensim serve answered at {base} (data in the per-user data folder)")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def link_environment(venv: Path) -> None:
    """Let the fresh virtualenv see this environment's packages (a .pth naming its site-packages)."""
    site = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "krakensim-check-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")


def main() -> None:
    isolated = "--isolated" in sys.argv[1:]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="krakensim-package-") as name:
        tmp = Path(name)
        source = tmp / "source"
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")
        shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
        for f in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / f, source / f)
        print("krakensim package check:")
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "dist", source)
        wheel = next((tmp / "dist").glob("krakensim-*.whl"))
        venv = tmp / "venv"
        if isolated:
            run(sys.executable, "-m", "venv", venv)
            pip: tuple[str | Path, ...] = (venv / "bin" / "python", "-m", "pip")
        else:  # no pip of its own (ensurepip took ~20 s): this environment's pip installs into it
            run(sys.executable, "-m", "venv", "--without-pip", venv)
            link_environment(venv)
            pip = (sys.executable, "-m", "pip", "--python", venv / "bin" / "python")
        run(*pip, "install", "-q", "--disable-pip-version-check", "-c", pins(tmp), wheel, *CLIENTS)
        shown = subprocess.run([venv / "bin" / "python", "-c", "import krakensim; print(krakensim.__file__)"],
                               check=True, capture_output=True, text=True, env=clean_env()).stdout
        assert str(venv) in shown, f"krakensim is imported from {shown!r}, not from the installed wheel"
        run(venv / "bin" / "krakensim", "--version", env=clean_env())
        start_once(venv, tmp)
        project = tmp / "user-project"
        shutil.copytree(ROOT / "examples" / "user-project", project, ignore=ignore)
        run(venv / "bin" / "python", "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", cwd=project,
            env=clean_env())
    print(f"krakensim package check: fine ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
