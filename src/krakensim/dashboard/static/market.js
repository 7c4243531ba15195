// The market view: ticker figures, the ladder, the depth chart, the tape and the candles of one
// instrument, from the public feeds (book, trade, ticker); rendered at most once per frame.
import { Candles } from "./candles.js";
import { drawDepth } from "./depth.js";
import { $, clock, fillRows, num, pct, utc } from "./format.js";

const LADDER_LEVELS = 20; // per side
const TAPE_ROWS = 50;
const FEEDS = ["book", "trade", "ticker"];
const DEPTH_LEVELS = 100; // per side, and only within DEPTH_RANGE of the mid: a far order would flatten the rest
const DEPTH_RANGE = 0.02;
const DEPTH_EVERY_MS = 250; // the depth chart redraws a canvas: five times a second is enough to read

export class MarketView {
  constructor(feed, renderer) {
    this.feed = feed;
    this.renderer = renderer;
    this.symbol = null;
    this.bids = new Map();
    this.asks = new Map();
    this.seq = -1;
    this.tape = [];
    this.ticker = {};
    this.candles = new Candles($("candles"));
    $("resolution").addEventListener("change", () => this.candles.load(this.symbol, $("resolution").value));
    window.addEventListener("resize", () => this.renderer.mark("depth", () => this.renderDepth()));
  }

  show(symbol) {
    if (this.symbol) for (const f of FEEDS) this.feed.unsubscribe(f);
    this.symbol = symbol;
    this.bids.clear();
    this.asks.clear();
    this.seq = -1;
    this.tape = [];
    this.ticker = {};
    for (const f of FEEDS) this.feed.subscribe(f, [symbol]);
    this.candles.load(symbol, $("resolution").value);
    this.bookChanged();
    this.renderer.mark("tape", () => this.renderTape());
    this.renderer.mark("ticker", () => this.renderTicker());
  }

  message(msg) {
    if (msg.event || msg.product_id !== this.symbol) return; // acks, info; another instrument's last messages
    switch (msg.feed) {
      case "book_snapshot":
        this.bids = new Map(msg.bids.map((l) => [l.price, l.qty]));
        this.asks = new Map(msg.asks.map((l) => [l.price, l.qty]));
        this.seq = msg.seq;
        this.bookChanged();
        break;
      case "book": {
        if (msg.seq <= this.seq) return; // already in the snapshot
        this.seq = msg.seq;
        const side = msg.side === "buy" ? this.bids : this.asks;
        if (msg.qty === 0) side.delete(msg.price);
        else side.set(msg.price, msg.qty);
        this.bookChanged();
        break;
      }
      case "trade_snapshot":
        this.tape = msg.trades.slice(0, TAPE_ROWS);
        this.renderer.mark("tape", () => this.renderTape());
        break;
      case "trade":
        this.tape.unshift(msg);
        if (this.tape.length > TAPE_ROWS) this.tape.length = TAPE_ROWS;
        this.candles.trade(msg);
        this.renderer.mark("tape", () => this.renderTape());
        break;
      case "ticker":
        this.ticker = msg;
        this.candles.prices(msg);
        this.renderer.mark("ticker", () => this.renderTicker());
        break;
    }
  }

  bookChanged() {
    this.renderer.mark("ladder", () => this.renderLadder());
    this.renderer.mark("depth", () => this.renderDepth(), DEPTH_EVERY_MS);
  }

  levels(n = LADDER_LEVELS) {
    const bids = [...this.bids].sort((a, b) => b[0] - a[0]).slice(0, n);
    const asks = [...this.asks].sort((a, b) => a[0] - b[0]).slice(0, n);
    return { bids, asks };
  }

  renderLadder() {
    const { bids, asks } = this.levels();
    const rows = [];
    let total = 0;
    const askRows = asks.map(([p, q]) => {
      total += q;
      return { cells: [num(p), num(q), num(total)], attrs: { "data-side": "sell", "data-price": p, "data-qty": q, class: "ask" } };
    });
    rows.push(...askRows.reverse());
    const spread = bids.length && asks.length ? num(asks[0][0] - bids[0][0]) : "–";
    rows.push({ cells: ["spread", spread, ""], attrs: { "data-side": null, "data-price": null, "data-qty": null, class: "spread" } });
    total = 0;
    for (const [p, q] of bids) {
      total += q;
      rows.push({ cells: [num(p), num(q), num(total)], attrs: { "data-side": "buy", "data-price": p, "data-qty": q, class: "bid" } });
    }
    fillRows($("ladder-body"), rows);
    $("ladder").dataset.seq = this.seq;
  }

  renderDepth() {
    let { bids, asks } = this.levels(DEPTH_LEVELS);
    const best = [bids[0]?.[0], asks[0]?.[0]].filter((p) => p !== undefined);
    if (best.length) {
      const mid = best.reduce((a, b) => a + b) / best.length;
      const near = ([p]) => Math.abs(p - mid) <= mid * DEPTH_RANGE;
      bids = bids.filter(near);
      asks = asks.filter(near);
    }
    drawDepth($("depth"), bids, asks);
  }

  renderTape() {
    fillRows($("tape-body"), this.tape.map((t) => ({
      cells: [clock(t.time), t.side, num(t.price), num(t.qty)],
      attrs: { "data-uid": t.uid, class: t.side === "buy" ? "bid" : "ask" } })));
  }

  renderTicker() {
    const t = this.ticker;
    const set = (id, text) => { $(id).textContent = text; };
    set("t-mark", num(t.markPrice));
    set("t-index", num(t.index));
    set("t-last", num(t.last));
    set("t-bid", num(t.bid));
    set("t-ask", num(t.ask));
    set("t-funding", t.feed && t.dtm === 0 && !t.maturityTime ? `${num(t.funding_rate ?? 0)} (${pct(t.relative_funding_rate ?? 0)})` : "–");
    set("t-next-funding", t.next_funding_rate_time ? utc(t.next_funding_rate_time) : "–");
    set("t-oi", num(t.openInterest));
    set("t-volume", num(t.volume));
    set("t-change", t.change === undefined ? "–" : `${num(t.change, 2)} %`);
    set("t-high", num(t.high));
    set("t-low", num(t.low));
    set("t-state", t.suspended ? "suspended" : t.post_only ? "post-only" : t.feed ? "open" : "–");
    $("t-mark").dataset.value = t.markPrice ?? "";
  }
}
