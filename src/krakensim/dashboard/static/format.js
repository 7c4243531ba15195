// Numbers and times as the page shows them (and small DOM helpers).

export function num(value, digits) {
  if (value === undefined || value === null || value === "") return "–";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  if (digits === undefined) return n.toLocaleString("en-US", { maximumFractionDigits: 8 });
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
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

// one render per animation frame for each part that changed, however many messages arrived; a part
// may ask for fewer (``every`` ms at least between two of its renders: the depth chart redraws a canvas)
export class Renderer {
  constructor() {
    this.dirty = new Map();
    this.last = new Map();
    this.scheduled = false;
  }

  mark(name, fn, every = 0) {
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
    for (const [name, { fn, every }] of [...this.dirty]) {
      if (every && now - (this.last.get(name) ?? -Infinity) < every) continue; // kept for a later frame
      this.dirty.delete(name);
      this.last.set(name, now);
      fn();
    }
    if (this.dirty.size) this.schedule();
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
