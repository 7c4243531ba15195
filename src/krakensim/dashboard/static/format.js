// Numbers and times as the page shows them (and small DOM helpers).

const formats = new Map(); // digits → its Intl.NumberFormat (toLocaleString makes one per call: slow)

function format(digits) {
  let f = formats.get(digits);
  if (!f) {
    f = new Intl.NumberFormat("en-US", digits === undefined ? { maximumFractionDigits: 8 }
      : { minimumFractionDigits: digits, maximumFractionDigits: digits });
    formats.set(digits, f);
  }
  return f;
}

export function num(value, digits) {
  if (value === undefined || value === null || value === "") return "–";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  return format(digits).format(n);
}

export function pct(value, digits = 4) {
  if (value === undefined || value === null) return "–";
  return (Number(value) * 100).toFixed(digits) + " %";
}

export function utc(ms) {
  if (!ms && ms !== 0) return "–";
  const d = typeof ms === "number" ? new Date(ms) : new Date(ms);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export function clock(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

export function decimalsOf(step) {
  const text = String(step);
  if (text.includes("e-")) return Number(text.split("e-")[1]);
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

// a row of cells (text only: nothing from the wire becomes markup)
export function row(cells, attrs = {}) {
  const tr = document.createElement("tr");
  for (const [name, value] of Object.entries(attrs)) tr.setAttribute(name, value);
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell;
    tr.append(td);
  }
  return tr;
}

export function $(id) {
  return document.getElementById(id);
}

// A part that changed is drawn in an animation frame, however many messages arrived, and at most
// every EVERY_MS (a reader takes in five changes a second at most; a busy book sends hundreds): a
// part may ask for a longer interval (the depth chart redraws a whole canvas).
export const EVERY_MS = 200;

export class Renderer {
  constructor() {
    this.dirty = new Map();
    this.last = new Map();
    this.scheduled = false;
  }

  mark(name, fn, every = EVERY_MS) {
    this.dirty.set(name, { fn, every });
    this.schedule();
  }

  schedule() {
    if (!this.scheduled) {
      this.scheduled = true;
      requestAnimationFrame((now) => this.flush(now));
    }
  }

  flush(now) {
    this.scheduled = false;
    let wait = Infinity;
    for (const [name, { fn, every }] of [...this.dirty]) {
      const due = (this.last.get(name) ?? -Infinity) + every;
      if (now < due) { // kept for a later frame
        wait = Math.min(wait, due - now);
        continue;
      }
      this.dirty.delete(name);
      this.last.set(name, now);
      fn();
    }
    if (this.dirty.size) { // asleep until the first part is due, then in a frame
      this.scheduled = true;
      setTimeout(() => requestAnimationFrame((t) => this.flush(t)), wait);
    }
  }
}

// fills a tbody with rows of text, reusing its rows and cells (a busy book changes a few cells a frame)
export function fillRows(tbody, rows) {
  while (tbody.rows.length > rows.length) tbody.deleteRow(-1);
  rows.forEach(({ cells, attrs }, i) => {
    const tr = tbody.rows[i] || tbody.insertRow();
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null) tr.removeAttribute(name); // null: the row has no such attribute
      else if (tr.getAttribute(name) !== String(value)) tr.setAttribute(name, String(value));
    }
    while (tr.cells.length > cells.length) tr.deleteCell(-1);
    cells.forEach((text, j) => {
      const td = tr.cells[j] || tr.insertCell();
      if (td.textContent !== text) td.textContent = text;
    });
  });
}
