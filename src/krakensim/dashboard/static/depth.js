// The depth chart: cumulative size by price on both sides of the spread, drawn on a canvas.

const BID = "#2fbf71", ASK = "#ff5c5c";

export function drawDepth(canvas, bids, asks) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (!width || !height) return;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const cumulative = (levels) => {
    let total = 0;
    return levels.map(([price, qty]) => [price, (total += qty)]);
  };
  const b = cumulative(bids), a = cumulative(asks);
  if (!b.length && !a.length) {
    g.fillStyle = "#c9d1d9";
    g.font = "14px system-ui, sans-serif";
    g.fillText("empty book", 12, 24);
    return;
  }
  const prices = [...b.map((l) => l[0]), ...a.map((l) => l[0])];
  const lo = Math.min(...prices), hi = Math.max(...prices);
  const top = Math.max(b.length ? b[b.length - 1][1] : 0, a.length ? a[a.length - 1][1] : 0) * 1.1;
  const pad = 4, axis = 18;
  const x = (p) => pad + (hi === lo ? 0.5 : (p - lo) / (hi - lo)) * (width - 2 * pad);
  const y = (q) => height - axis - (q / top) * (height - axis - pad);
  const area = (levels, color) => {
    if (!levels.length) return;
    g.beginPath();
    g.moveTo(x(levels[0][0]), y(0));
    let last = 0;
    for (const [p, q] of levels) {
      g.lineTo(x(p), y(last));
      g.lineTo(x(p), y(q));
      last = q;
    }
    g.lineTo(x(levels[levels.length - 1][0]), y(0));
    g.closePath();
    g.globalAlpha = 0.35;
    g.fillStyle = color;
    g.fill();
    g.globalAlpha = 1;
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.stroke();
  };
  area(b, BID);
  area(a, ASK);
  g.fillStyle = "#c9d1d9";
  g.font = "12px system-ui, sans-serif";
  g.fillText(String(lo), pad, height - 4);
  const label = String(hi);
  g.fillText(label, width - pad - g.measureText(label).width, height - 4);
}
