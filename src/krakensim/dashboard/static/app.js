// The dashboard: the instrument picker, the three views and the market feed they share.
import { AccountView } from "./account.js";
import { ControlView } from "./control.js";
import { Feed } from "./feed.js";
import { $, Renderer } from "./format.js";
import { MarketView } from "./market.js";

const VIEWS = ["market", "account", "control"];

class App {
  constructor() {
    this.renderer = new Renderer();
    this.instruments = new Map();
    this.symbol = null;
    this.feed = new Feed((msg) => this.market.message(msg), (s) => { $("feed-status").textContent = `feed ${s}`; });
    this.market = new MarketView(this.feed, this.renderer);
    this.account = new AccountView(this.renderer, () => this.symbol);
    this.control = new ControlView(this);
    for (const view of VIEWS) $(`tab-${view}`).addEventListener("click", () => this.showView(view));
    $("tabs").addEventListener("keydown", (e) => this.arrowKeys(e));
    $("instrument").addEventListener("change", () => this.pick($("instrument").value));
  }

  async start() {
    const answer = await (await fetch("/derivatives/api/v3/instruments")).json();
    const listed = answer.instruments.filter((i) => i.tradeable);
    for (const i of listed) this.instruments.set(i.symbol, i);
    const select = $("instrument");
    select.replaceChildren(...listed.map((i) => new Option(i.symbol, i.symbol)));
    const wanted = new URLSearchParams(location.hash.slice(1)).get("symbol");
    const first = this.instruments.has(wanted) ? wanted : this.instruments.has("PF_XBTUSD") ? "PF_XBTUSD" : listed[0]?.symbol;
    this.feed.open();
    if (first) this.pick(first);
    const view = new URLSearchParams(location.hash.slice(1)).get("view");
    this.showView(VIEWS.includes(view) ? view : "market");
    document.body.dataset.ready = "true";
  }

  pick(symbol) {
    this.symbol = symbol;
    $("instrument").value = symbol;
    $("order-symbol").textContent = symbol;
    this.market.show(symbol);
  }

  tickSize() {
    return Number(this.instruments.get(this.symbol)?.tickSize || 1);
  }

  showView(view) {
    for (const v of VIEWS) {
      const on = v === view;
      $(`tab-${v}`).setAttribute("aria-selected", String(on));
      $(`tab-${v}`).tabIndex = on ? 0 : -1;
      $(`view-${v}`).hidden = !on;
    }
    if (view === "market") this.renderer.mark("depth", () => this.market.renderDepth());
  }

  arrowKeys(e) {
    const i = VIEWS.findIndex((v) => $(`tab-${v}`).getAttribute("aria-selected") === "true");
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = VIEWS[(i + step + VIEWS.length) % VIEWS.length];
    this.showView(next);
    $(`tab-${next}`).focus();
  }
}

const app = new App();
window.krakensimDashboard = app; // for a console, and the browser tests
app.start();
