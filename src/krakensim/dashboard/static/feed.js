// One WebSocket connection to /ws/v1: subscribes, re-subscribes after a reconnect, hands every
// message to its listeners. Private feeds are signed with the challenge (sign.js).
import { sign } from "./sign.js";

export class Feed {
  constructor(onMessage, onStatus) {
    this.onMessage = onMessage;
    this.onStatus = onStatus || (() => {});
    this.wanted = new Map(); // feed → product ids (null: none), re-sent on every (re)connection
    this.creds = null;
    this.challenge = null;
    this.socket = null;
    this.closed = false;
    this.retry = 500;
  }

  url() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/v1";
  }

  open() {
    this.closed = false;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.onopen = () => {
      this.retry = 500;
      this.onStatus("open");
      this.challenge = null;
      if (this.creds) socket.send(JSON.stringify({ event: "challenge", api_key: this.creds.key }));
      for (const [feed, products] of this.wanted) this.sendSubscription("subscribe", feed, products);
    };
    socket.onmessage = (event) => this.received(JSON.parse(event.data));
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.onStatus("closed");
      if (!this.closed) setTimeout(() => this.open(), this.retry);
      this.retry = Math.min(this.retry * 2, 8000);
    };
  }

  close() {
    this.closed = true;
    if (this.socket) this.socket.close();
    this.socket = null;
  }

  async received(msg) {
    if (msg.event === "challenge" && this.creds) {
      this.challenge = { original: msg.message, signed: await sign(this.creds.secret, msg.message) };
      for (const [feed, products] of this.wanted) this.sendSubscription("subscribe", feed, products);
      return;
    }
    this.onMessage(msg);
  }

  sendSubscription(event, feed, products) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    const msg = { event, feed };
    if (products) msg.product_ids = products;
    if (this.creds) {
      if (!this.challenge) return; // sent once the challenge is signed
      Object.assign(msg, { api_key: this.creds.key, original_challenge: this.challenge.original,
                           signed_challenge: this.challenge.signed });
    }
    this.socket.send(JSON.stringify(msg));
  }

  subscribe(feed, products = null) {
    this.wanted.set(feed, products);
    this.sendSubscription("subscribe", feed, products);
  }

  unsubscribe(feed) {
    const products = this.wanted.get(feed);
    this.wanted.delete(feed);
    this.sendSubscription("unsubscribe", feed, products);
  }
}
