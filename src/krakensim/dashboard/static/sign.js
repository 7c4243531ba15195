// Kraken Futures signing in the browser (WebCrypto): REST's Authent and the WebSocket challenge.
// Authent = base64(HMAC-SHA-512(base64decode(secret), SHA-256(postData + nonce + endpointPath))),
// where endpointPath is the path without "/derivatives"; the challenge is signed the same way.
// WebCrypto exists only in a secure context: a page from localhost/127.0.0.1 or over TLS.

const encoder = new TextEncoder();

export function canSign() {
  return Boolean(globalThis.crypto && crypto.subtle);
}

function fromBase64(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let raw = "";
  for (const b of bytes) raw += String.fromCharCode(b);
  return btoa(raw);
}

const keys = new Map(); // secret → its imported HMAC key (imported once)

async function hmacKey(secret) {
  let key = keys.get(secret);
  if (!key) {
    key = await crypto.subtle.importKey("raw", fromBase64(secret), { name: "HMAC", hash: "SHA-512" }, false, ["sign"]);
    keys.set(secret, key);
  }
  return key;
}

export async function sign(secret, message) {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(message));
  return toBase64(await crypto.subtle.sign("HMAC", await hmacKey(secret), digest));
}

// A signed REST call: params go in the query (GET) or the form body (POST); no nonce (it is optional).
export async function signedRest(creds, method, path, params = {}) {
  const data = new URLSearchParams(params).toString();
  const signedPath = path.startsWith("/derivatives") ? path.slice("/derivatives".length) : path;
  const authent = await sign(creds.secret, data + signedPath);
  const headers = { APIKey: creds.key, Authent: authent };
  let url = path;
  const init = { method, headers };
  if (method === "GET") {
    if (data) url += "?" + data;
  } else {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    init.body = data;
  }
  const response = await fetch(url, init);
  return response.json();
}
