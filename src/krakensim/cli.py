"""``krakensim serve …``"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import click

from .cli_control import control_options, default_data_path
from .runtime.keys import valid_secret
from .version import __version__


def _scenario_docs(texts: tuple[str, ...]) -> list[dict[str, Any]]:
    import json

    docs = []
    for text in texts:
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise click.UsageError(f"--scenario {text!r}: not JSON ({e})") from e
        if not isinstance(doc, dict):
            raise click.UsageError(f"--scenario {text!r}: a JSON object is expected")
        docs.append(doc)
    return docs


@click.group()
@click.version_option(__version__, prog_name="krakensim")
def main() -> None:
    """krakensim: an offline exchange that speaks the Kraken Futures API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (loopback by default; any other needs an --admin-token).")
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--data", "data", default=None,
              help="SQLite journal file: every accepted command is kept there and replayed on start "
                   "[default: journal.sqlite in the per-user data directory, e.g. ~/.local/share/krakensim]")
@click.option("--memory", is_flag=True, help="Keep nothing: no journal.")
@click.option("--init", "init", is_flag=True,
              help="Start a new exchange in an empty --data file (0 bytes, or a SQLite database without tables); "
                   "without it such a file is refused. Never needed for a path that does not exist, and never "
                   "applied to a file that holds anything.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed for ids (stored with the data).")
@click.option("--api-key", "api_keys", multiple=True, help="API key of a funded account (repeatable).")
@click.option("--api-secret", "api_secrets", multiple=True, help="Base64 secret for the --api-key at the same position.")
@click.option("--funds", default="100000", show_default=True, help="USD each new account starts with.")
@click.option("--synchronous", type=click.Choice(["FULL", "NORMAL"]), default="FULL", show_default=True,
              help="SQLite synchronous mode of the journal (FULL: fsync on every commit).")
@click.option("--clock", "clock", type=click.Choice(["wall", "manual"]), default="wall", show_default=True,
              help="manual: time moves only through POST /_krakensim/v1/clock (tests, research).")
@click.option("--start-time", default="2026-01-01T00:00:00Z", show_default=True,
              help="Where a manual clock starts (ISO-8601).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML configuration: [market], [prices.BASE] price sources, [clock], [instruments.SYMBOL] "
                   "(docs/configuration.md).")
@click.option("--speed", type=float, default=None,
              help="With the wall clock: exchange time runs this many times faster.")
@click.option("--market/--quiet", "market", default=None,
              help="--market (the default): run the simulated market, seeded index prices, market makers, "
                   "takers and an arbitrageur. --quiet: an exchange with no simulated agents (empty books, prices "
                   "fixed until moved through the control API), as the pytest plugin starts. With --config and "
                   "neither flag, its [market] enabled decides (false unless set).")
@click.option("--past-days", type=click.IntRange(0, 400), default=None,
              help="A fresh venue starts with this many days of seeded history (candles, trades, funding); "
                   "default 3 with the market, 0 without.")
@click.option("--scenario", "scenarios", multiple=True, metavar="JSON",
              help='A market scenario scheduled at a fresh venue\'s start, as the control API takes it, e.g. '
                   '\'{"name": "crash", "target": "XBT", "percent": 20, "startInMs": 60000, "durationMs": 600000}\'.')
@click.option("--price", "prices", multiple=True, metavar="BASE=PRICE",
              help="Fix an underlying's index (e.g. XBT=90000) for every contract on it: it starts there "
                   "and stays unless moved through the control API (repeatable).")
@click.option("--http", "http", type=click.Choice(["uvicorn", "granian"]), default="uvicorn", show_default=True,
              help="HTTP server (granian must be installed; see docs/benchmarks.md).")
@click.option("--tls-port", type=int, default=None,
              help="Also serve REST and WebSocket (wss://…/ws/v1) over TLS on this port, with a certificate made on "
                   "first start and kept with the data (its CA's path is printed: SSL_CERT_FILE=…).")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), default=None,
              help="With --tls-port: your own certificate (PEM, with its chain) instead of the generated one.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), default=None,
              help="With --tls-port: the private key of --tls-cert (PEM).")
@click.option("--rate-limits/--no-rate-limits", "rate_limits", default=True, show_default=True,
              help="Kraken's REST rate limits: 500 cost units per key every 10 s on the derivatives API, 100 "
                   "History API tokens refilled at 100 per 10 minutes, on the exchange's clock; beyond them "
                   "apiLimitExceeded (also switched through the control API: rate-limits).")
@click.option("--ws-limits", is_flag=True,
              help="Apply Kraken's WebSocket limits: 100 connections per client address (the next is refused "
                   "with HTTP 429) and 100 messages per second per connection (more closes it, 1008).")
@click.option("--admin-token", envvar="KRAKENSIM_ADMIN_TOKEN", show_envvar=True, default=None,
              help="Token of the control API (/_krakensim/v1/, sent as 'Authorization: Bearer <token>'); "
                   "without it one is made, kept with the data and printed. Required with a --host "
                   "beyond loopback.")
def serve(host: str, port: int, data: str | None, memory: bool, seed: int, api_keys: tuple[str, ...],
          api_secrets: tuple[str, ...], funds: str, synchronous: str, clock: str, start_time: str,
          http: str, market: bool | None, prices: tuple[str, ...], config_file: str | None,
          speed: float | None, admin_token: str | None, init: bool, tls_port: int | None, tls_cert: str | None,
          tls_key: str | None, ws_limits: bool, rate_limits: bool,
          past_days: int | None, scenarios: tuple[str, ...]) -> None:
    """Start the exchange and print its base URL, the demo key and secret."""
    from .serve.build import Settings, check_exposure
    from .serve.http import START_ERRORS, StartInterrupted
    from .serve.http import serve as run

    keys = list(api_keys)
    secrets = list(api_secrets)
    env_key, env_secret = os.environ.get("KRAKENSIM_API_KEY"), os.environ.get("KRAKENSIM_API_SECRET")
    if env_key and env_secret and env_key not in keys:
        keys.insert(0, env_key)
        secrets.insert(0, env_secret)
    if len(keys) != len(secrets):
        raise click.UsageError("give one --api-secret for each --api-key")
    from .engine.accounts import MAX_FUNDS_USD
    from .engine.retention import Retention

    try:
        funds_value = Decimal(funds)
    except ArithmeticError as e:
        raise click.UsageError("--funds must be a number") from e
    if not funds_value.is_finite() or not 0 <= funds_value <= MAX_FUNDS_USD:
        raise click.UsageError(f"--funds must be between 0 and {MAX_FUNDS_USD}")
    for s in secrets:
        if not valid_secret(s):
            raise click.UsageError("--api-secret must be base64 (as Kraken's secrets are)")
    manual_start = None
    if clock == "manual":
        from .api.params import parse_iso

        manual_start = parse_iso(start_time)
        if manual_start is None:
            raise click.UsageError("--start-time must be an ISO-8601 date-time")
    from .market.sources import FixedSource, PriceSource
    from .serve.config import ConfigError, load_config

    try:
        cfg = load_config(config_file) if config_file else None
    except ConfigError as e:
        raise click.UsageError(f"--config: {e}") from e
    sources: dict[str, PriceSource] = dict(cfg.sources) if cfg else {}
    start_prices: dict[str, Decimal] = dict(cfg.start_prices) if cfg else {}
    for item in prices:
        base, _, text = item.partition("=")
        try:
            value = Decimal(text)
        except ArithmeticError as e:
            raise click.UsageError("--price takes BASE=PRICE, e.g. XBT=90000") from e
        if not base or not value.is_finite() or value <= 0:
            raise click.UsageError("--price takes BASE=PRICE with a positive price, e.g. XBT=90000")
        sources[base] = FixedSource()
        start_prices[base] = value
    if speed is not None and speed <= 0:
        raise click.UsageError("--speed must be positive")
    if (tls_cert or tls_key) and not (tls_cert and tls_key and tls_port is not None):
        raise click.UsageError("--tls-cert and --tls-key go together, with --tls-port")
    if tls_port is not None and not 0 <= tls_port <= 65535:
        raise click.UsageError("--tls-port must be a port number")

    try:
        check_exposure(Settings(host=host, admin_token=admin_token))
    except ConfigError as e:
        raise click.UsageError(str(e)) from e
    if market is None:  # neither flag: the market runs; with a --config file, its [market] enabled decides
        market = cfg.market_enabled if cfg is not None else True
    try:
        run(Settings(host=host, admin_token=admin_token, port=port,
                     data=None if memory else (data or default_data_path()), seed=seed,
                     keys=list(zip(keys, secrets, strict=True)), funds=funds_value, synchronous=synchronous,
                     manual_clock_start=manual_start, http=http,
                     market=market,
                     market_config=cfg.market if cfg else None,
                     liquidity=cfg.liquidity if cfg else {},
                     scenarios=[*(cfg.scenarios if cfg else []), *_scenario_docs(scenarios)],
                     past_days=past_days if past_days is not None else (cfg.past_days if cfg else None),
                     market_interval_ms=cfg.market_interval_ms if cfg else 1000,
                     speed=speed if speed is not None else (cfg.speed if cfg else 1.0),
                     instruments=cfg.instruments if cfg else {}, sources=sources,
                     start_prices=start_prices, init=init, tls_port=tls_port, tls_cert=tls_cert, tls_key=tls_key,
                     ws_limits=ws_limits, rate_limits=rate_limits, faults=cfg.faults if cfg else [],
                     retention=cfg.retention if cfg else Retention()))
    except ConfigError as e:
        raise click.UsageError(str(e)) from e
    except START_ERRORS as e:
        raise click.ClickException(str(e)) from None
    except StartInterrupted as e:
        click.echo(f"krakensim: stopped by {e} during start-up; nothing was served", err=True)


@main.command()
@click.option("--data", "data", default=None,
              help="The journal file to check [default: the server's, in the per-user data directory].")
def verify(data: str) -> None:
    """Check a journal without starting anything (read-only; safe while a server runs on it).

    The same check a start makes (sequence continuity, the hash chain, every group's records), plus
    every command decoded and SQLite's own integrity check. Exit status 0 when it is intact, 1 if not.
    """
    from .serve.verify import verify_journal

    ok, lines = verify_journal(data or default_data_path())
    for line in lines:
        click.echo(line, err=not ok and line is lines[-1])
    if not ok:
        raise SystemExit(1)


control_options(main)

if __name__ == "__main__":
    main()
