// The control view's account picker: every account (GET /_krakensim/v1/accounts, a page at a time) with
// its balance; "Use in the account view" hands the chosen account's key and secret to the account view,
// as "create account → use" does. The control token may read the keys: it may mint them anyway.
import { $, num } from "./format.js";

const PAGE = 100; // the control API's default page: thousands of accounts exist on a busy venue

export class AccountPicker {
  constructor(control) {
    this.control = control;
    this.offset = 0;
    this.rows = new Map(); // accountUid -> the listed account (its keys)
    $("accounts-refresh").addEventListener("click", () => this.load(this.offset));
    $("accounts-prev").addEventListener("click", () => this.load(Math.max(0, this.offset - PAGE)));
    $("accounts-next").addEventListener("click", () => this.load(this.offset + PAGE));
    $("accounts-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.use($("accounts-pick").value);
    });
  }

  async load(offset) {
    const { status, doc } = await this.control.request("GET", `accounts?limit=${PAGE}&offset=${offset}`);
    if (status !== 200) {
      this.control.say(`accounts: ${status} ${doc.error || ""}`.trim());
      return;
    }
    this.offset = doc.offset;
    this.rows = new Map(doc.accounts.map((a) => [a.accountUid, a]));
    const chosen = $("accounts-pick").value;
    $("accounts-pick").replaceChildren(...doc.accounts.map((a) => {
      const option = new Option(this.label(a), a.accountUid);
      option.disabled = a.keys.length === 0;
      return option;
    }));
    if (this.rows.has(chosen)) $("accounts-pick").value = chosen;
    const last = Math.min(doc.offset + doc.accounts.length, doc.total);
    $("accounts-range").textContent = doc.total ? `${doc.offset + 1}–${last} of ${doc.total}` : "no accounts";
    $("accounts-prev").disabled = doc.offset === 0;
    $("accounts-next").disabled = last >= doc.total;
  }

  label(a) {
    const sub = a.master ? `, subaccount of ${a.master.slice(0, 8)}…` : "";
    const keyless = a.keys.length ? "" : " (no key)";
    return `${a.accountUid}: ${num(a.balance, 2)} USD${sub}${keyless}`;
  }

  use(uid) {
    const account = this.rows.get(uid);
    const key = account && (account.keys.find((k) => k.access === "full") || account.keys[0]);
    if (!key) {
      this.control.say("accounts: choose an account that has a key");
      return;
    }
    this.control.app.account.connect({ key: key.apiKey, secret: key.apiSecret });
    this.control.app.showView("account");
  }
}
