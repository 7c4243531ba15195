// The account view: balances and margin, positions, open orders (cancel), fills and the account
// log from the private feeds (signed with the challenge); order entry and cancel through REST.
import { Feed } from "./feed.js";
import { $, num, pct, row, utc } from "./format.js";
import { canSign, signedRest } from "./sign.js";

const PRIVATE_FEEDS = ["balances", "open_positions", "open_orders", "fills", "account_log"];
const FILL_ROWS = 100, LOG_ROWS = 100;
const STORE = "krakensim.account"; // sessionStorage: the key stays in this tab of this browser

export class AccountView {
  constructor(renderer, currentSymbol) {
    this.renderer = renderer;
    this.currentSymbol = currentSymbol;
    this.feed = null;
    this.reset();
    $("account-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.connect({ key: $("api-key").value.trim(), secret: $("api-secret").value.trim() });
    });
    $("account-forget").addEventListener("click", () => this.forget());
    $("order-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.placeOrder();
    });
    $("order-type").addEventListener("change", () => {
      $("order-price").disabled = $("order-type").value === "mkt";
    });
    $("orders-body").addEventListener("click", (e) => {
      const button = e.target.closest("button[data-cancel]");
      if (button) this.cancel(button.dataset.cancel);
    });
    const saved = sessionStorage.getItem(STORE);
    if (saved) this.connect(JSON.parse(saved));
  }

  reset() {
    this.balances = null;
    this.positions = [];
    this.orders = new Map();
    this.fills = [];
    this.log = [];
  }

  connect(creds) {
    if (!creds.key || !creds.secret) return;
    if (!canSign()) {
      this.status("This page cannot sign requests: open it from localhost or 127.0.0.1 (or over TLS): WebCrypto needs a secure context.");
      return;
    }
    this.disconnect();
    this.creds = creds;
    sessionStorage.setItem(STORE, JSON.stringify(creds));
    $("api-key").value = creds.key;
    $("api-secret").value = "";
    this.feed = new Feed((msg) => this.message(msg), (s) => this.status(s === "open" ? `connected as ${creds.key.slice(0, 8)}…` : "reconnecting…"));
    this.feed.creds = creds;
    for (const f of PRIVATE_FEEDS) this.feed.subscribe(f);
    this.feed.open();
    $("account-data").hidden = false;
  }

  disconnect() {
    if (this.feed) this.feed.close();
    this.feed = null;
    this.reset();
    this.renderAll();
  }

  forget() {
    this.disconnect();
    this.creds = null;
    sessionStorage.removeItem(STORE);
    $("api-key").value = "";
    $("account-data").hidden = true;
    this.status("no account");
  }

  status(text) {
    $("account-status").textContent = text;
  }

  message(msg) {
    if (msg.event === "alert") {
      this.status(`refused: ${msg.message}`);
      return;
    }
    if (msg.event) return; // acks ("subscribed" names the feed too) and info
    switch (msg.feed) {
      case "balances_snapshot":
      case "balances":
        this.balances = msg.flex_futures;
        this.renderer.mark("balances", () => this.renderBalances());
        break;
      case "open_positions":
        this.positions = msg.positions;
        this.renderer.mark("positions", () => this.renderPositions());
        break;
      case "open_orders_snapshot":
        this.orders = new Map(msg.orders.map((o) => [o.order_id, o]));
        this.renderer.mark("orders", () => this.renderOrders());
        break;
      case "open_orders":
        if (msg.is_cancel) this.orders.delete(msg.order_id ?? msg.order.order_id);
        else this.orders.set(msg.order.order_id, msg.order);
        this.renderer.mark("orders", () => this.renderOrders());
        break;
      case "fills_snapshot":
        this.fills = msg.fills.slice().reverse().slice(0, FILL_ROWS);
        this.renderer.mark("fills", () => this.renderFills());
        break;
      case "fills":
        this.fills.unshift(...msg.fills.slice().reverse());
        this.fills.length = Math.min(this.fills.length, FILL_ROWS);
        this.renderer.mark("fills", () => this.renderFills());
        break;
      case "account_log_snapshot":
        this.log = msg.logs.slice(0, LOG_ROWS);
        this.renderer.mark("log", () => this.renderLog());
        break;
      case "account_log":
        this.log.unshift(msg.new_entry);
        this.log.length = Math.min(this.log.length, LOG_ROWS);
        this.renderer.mark("log", () => this.renderLog());
        break;
    }
  }

  renderAll() {
    this.renderBalances();
    this.renderPositions();
    this.renderOrders();
    this.renderFills();
    this.renderLog();
  }

  renderBalances() {
    const b = this.balances || {};
    const set = (id, v) => { $(id).textContent = num(v, 2); };
    set("b-balance", b.balance_value);
    set("b-equity", b.portfolio_value);
    set("b-pnl", b.total_unrealized);
    set("b-im", b.initial_margin);
    set("b-mm", b.maintenance_margin);
    set("b-available", b.available_margin);
    $("b-leverage").textContent = b.cross ? num(b.cross.effective_leverage, 2) + "×" : "–";
  }

  renderPositions() {
    $("positions-body").replaceChildren(...this.positions.map((p) => {
      const liq = p.liquidation_threshold;
      const distance = liq ? Math.abs(p.mark_price - liq) / p.mark_price : null;
      return row([p.instrument, num(p.balance), num(p.entry_price), num(p.mark_price), num(p.pnl, 2),
                  liq ? num(liq) : "–", distance === null ? "–" : pct(distance, 2)],
                 { "data-instrument": p.instrument, class: p.balance > 0 ? "bid" : "ask" });
    }));
  }

  renderOrders() {
    const orders = [...this.orders.values()].sort((a, b) => b.time - a.time);
    $("orders-body").replaceChildren(...orders.map((o) => {
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.textContent = "Cancel";
      cancel.dataset.cancel = o.order_id;
      cancel.setAttribute("aria-label", `Cancel order ${o.order_id}`);
      const side = o.direction === 0 ? "buy" : "sell";
      return row([o.instrument, side, o.type, num(o.qty), num(o.filled), o.limit_price ? num(o.limit_price) : "–", cancel],
                 { "data-order-id": o.order_id, class: side === "buy" ? "bid" : "ask" });
    }));
  }

  renderFills() {
    $("fills-body").replaceChildren(...this.fills.map((f) =>
      row([utc(f.time), f.instrument, f.buy ? "buy" : "sell", num(f.qty), num(f.price), f.fill_type, num(f.fee_paid, 4)],
          { "data-fill-id": f.fill_id, "data-order-id": f.order_id, class: f.buy ? "bid" : "ask" })));
  }

  renderLog() {
    $("log-body").replaceChildren(...this.log.map((e) =>
      row([utc(e.date), e.asset, e.info, num(e.old_balance), num(e.new_balance), num(e.realized_pnl), num(e.fee)],
          { "data-id": e.id })));
  }

  async placeOrder() {
    if (!this.creds) {
      $("order-result").textContent = "Connect an account first.";
      return;
    }
    const params = { orderType: $("order-type").value, symbol: this.currentSymbol(), side: $("order-side").value,
                     size: $("order-size").value };
    if (params.orderType !== "mkt") params.limitPrice = $("order-price").value;
    const answer = await signedRest(this.creds, "POST", "/derivatives/api/v3/sendorder", params);
    const status = answer.sendStatus ? answer.sendStatus.status : answer.error;
    $("order-result").textContent = `${params.side} ${params.size} ${params.symbol}: ${status}`;
  }

  async cancel(orderId) {
    const answer = await signedRest(this.creds, "POST", "/derivatives/api/v3/cancelorder", { order_id: orderId });
    const status = answer.cancelStatus ? answer.cancelStatus.status : answer.error;
    $("order-result").textContent = `cancel ${orderId.slice(0, 8)}…: ${status}`;
  }
}
