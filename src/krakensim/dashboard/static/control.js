// The control view: every action is a control API request (/_krakensim/v1/, Bearer token), so it
// is journaled like any other command. Optional endpoints (scenarios, reset) show only when the
// server's control API document (openapi.json) lists them.
import { AccountPicker } from "./accounts.js";
import { $, decimalsOf } from "./format.js";

const PREFIX = "/_krakensim/v1/";
const STORE = "krakensim.control";
const OPTIONAL = { scenario: "scenarios", reset: "reset" };  // box -> endpoint

export class ControlView {
  constructor(app) {
    this.app = app;
    this.token = sessionStorage.getItem(STORE);
    $("control-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.unlock($("control-token").value.trim());
    });
    $("price-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.setMark($("price-mark").value);
    });
    $("price-up").addEventListener("click", () => this.nudge(1.01));
    $("price-down").addEventListener("click", () => this.nudge(0.99));
    $("market-pause").addEventListener("click", () => this.marketState("suspended"));
    $("market-resume").addEventListener("click", () => this.marketState("open"));
    $("clock-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.advance(Number($("clock-advance").value));
    });
    $("create-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.createAccount($("create-usd").value);
    });
    $("scenario-form").addEventListener("submit", (e) => {
      e.preventDefault();
      let scenario;
      try { scenario = JSON.parse($("scenario-name").value); } catch (err) {
        this.say(`scenario: not JSON (${err.message})`);
        return;
      }
      this.act("scenarios", scenario);
    });
    $("venue-reset").addEventListener("click", () => {
      if (confirm("Reset the venue to its configured start?")) this.act("reset", {});
    });
    this.picker = new AccountPicker(this);
    if (this.token) this.unlock(this.token);
  }

  async request(method, path, body) {
    const init = { method, headers: { Authorization: `Bearer ${this.token}` } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(PREFIX + path, init);
    let doc = {};
    try { doc = await response.json(); } catch { /* an empty answer */ }
    return { status: response.status, doc };
  }

  say(text) {
    $("control-result").textContent = text;
  }

  async unlock(token) {
    if (!token) return;
    this.token = token;
    const { status, doc } = await this.request("GET", "clock");
    if (status !== 200) {
      this.say(`token refused (${status} ${doc.error || ""})`);
      this.token = null;
      sessionStorage.removeItem(STORE);
      $("control-actions").hidden = true;
      return;
    }
    sessionStorage.setItem(STORE, token);
    $("control-token").value = "";
    $("control-actions").hidden = false;
    this.showClock(doc);
    const api = await this.request("GET", "openapi.json");
    const paths = (api.status === 200 && api.doc.paths) || {};
    for (const [box, endpoint] of Object.entries(OPTIONAL)) {
      $(`${box}-box`).hidden = !(paths[PREFIX + endpoint] && paths[PREFIX + endpoint].post);
    }
    const listed = Boolean(paths[PREFIX + "accounts"] && paths[PREFIX + "accounts"].get);
    $("accounts-box").hidden = !listed; // a server before GET accounts: no picker
    if (listed) await this.picker.load(0);
    this.say("control API ready");
  }

  showClock(doc) {
    $("clock-now").textContent = `${doc.now}${doc.manual ? " (manual clock)" : ""}`;
    $("clock-form").hidden = !doc.manual;
  }

  async act(path, body, done) {
    const { status, doc } = await this.request("POST", path, body);
    if (status === 200) {
      this.say(`${path}: done`);
      if (done) done(doc);
    } else {
      this.say(`${path}: ${status} ${doc.error || ""} ${doc.message || ""}`.trim());
    }
  }

  rounded(price) {
    const tick = this.app.tickSize();
    return (Math.round(Number(price) / tick) * tick).toFixed(decimalsOf(tick));
  }

  setMark(price) {
    if (!price) return;
    this.act("prices", { symbol: this.app.symbol, mark: this.rounded(price) });
  }

  nudge(factor) {
    const mark = Number(this.app.market.ticker.markPrice);
    if (mark) this.setMark(mark * factor);
  }

  marketState(state) {
    this.act("market-state", { symbol: this.app.symbol, state });
  }

  advance(ms) {
    this.act("clock", { advanceMs: ms }, (doc) => this.showClock({ now: doc.now, manual: true }));
  }

  createAccount(usd) {
    this.act("accounts", { usd: usd || "100000" }, (doc) => {
      $("created").hidden = false;
      $("created-uid").textContent = doc.accountUid;
      $("created-key").textContent = doc.apiKey;
      $("created-secret").textContent = doc.apiSecret;
      $("created-use").onclick = () => {
        this.app.account.connect({ key: doc.apiKey, secret: doc.apiSecret });
        this.app.showView("account");
      };
      if (!$("accounts-box").hidden) this.picker.load(this.picker.offset);
    });
  }
}
