// Candles at every resolution of the Charts API (trade candles, mark and index lines), drawn with
// TradingView's lightweight-charts; history from REST once, then kept live from the feeds.
import { CandlestickSeries, createChart, LineSeries } from "./vendor/lightweight-charts.mjs";

export const RESOLUTIONS = { "1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "4h": 240, "12h": 720, "1d": 1440, "1w": 10080 };
const MINUTE = 60_000, WEEK_OFFSET = 4 * 86_400_000; // weeks start on Monday (as api/charts.py)
const HISTORY = 500;

function bucket(ms, resMs) {
  const offset = resMs === RESOLUTIONS["1w"] * MINUTE ? WEEK_OFFSET : 0;
  return Math.floor((ms - offset) / resMs) * resMs + offset;
}

export class Candles {
  constructor(element) {
    this.chart = createChart(element, {
      autoSize: true,
      layout: { background: { color: "#0d1117" }, textColor: "#e6edf3", fontSize: 13 },
      grid: { vertLines: { color: "#21262d" }, horzLines: { color: "#21262d" } },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    this.trades = this.chart.addSeries(CandlestickSeries, {
      upColor: "#2fbf71", downColor: "#ff5c5c", borderVisible: false, wickUpColor: "#2fbf71", wickDownColor: "#ff5c5c",
      title: "trade",
    });
    this.mark = this.chart.addSeries(LineSeries, { color: "#f2cc60", lineWidth: 2, title: "mark" });
    this.index = this.chart.addSeries(LineSeries, { color: "#58a6ff", lineWidth: 2, lineStyle: 2, title: "index" });
    this.generation = 0;
    this.ready = false;
  }

  async load(symbol, resolution) {
    const generation = ++this.generation;
    this.symbol = symbol;
    this.resMs = RESOLUTIONS[resolution] * MINUTE;
    this.ready = false;
    const get = async (kind) => {
      const r = await fetch(`/api/charts/v1/${kind}/${symbol}/${resolution}?count=${HISTORY}`);
      return r.ok ? (await r.json()).candles : [];
    };
    const [trade, mark, spot] = await Promise.all([get("trade"), get("mark"), get("spot")]);
    if (generation !== this.generation) return; // another instrument or resolution was chosen meanwhile
    const ohlc = (c) => ({ time: c.time / 1000, open: +c.open, high: +c.high, low: +c.low, close: +c.close });
    const line = (c) => ({ time: c.time / 1000, value: +c.close });
    this.last = trade.length ? ohlc(trade[trade.length - 1]) : null;
    this.trades.setData(trade.map(ohlc));
    this.mark.setData(mark.map(line));
    this.index.setData(spot.map(line));
    this.lastLine = { mark: mark.length ? mark[mark.length - 1].time / 1000 : 0,
                      index: spot.length ? spot[spot.length - 1].time / 1000 : 0 };
    this.ready = true;
    this.chart.timeScale().scrollToRealTime();
  }

  trade(t) {
    if (!this.ready || t.product_id !== this.symbol) return;
    const time = bucket(t.time, this.resMs) / 1000;
    const last = this.last;
    if (last && time < last.time) return; // older than the chart's newest candle
    if (last && time === last.time) {
      last.high = Math.max(last.high, t.price);
      last.low = Math.min(last.low, t.price);
      last.close = t.price;
    } else {
      this.last = { time, open: t.price, high: t.price, low: t.price, close: t.price };
    }
    this.trades.update({ ...this.last });
  }

  prices(ticker) {
    if (!this.ready || ticker.product_id !== this.symbol) return;
    const time = bucket(ticker.time, this.resMs) / 1000;
    for (const [name, value] of [["mark", ticker.markPrice], ["index", ticker.index]]) {
      if (value === undefined || time < this.lastLine[name]) continue;
      this.lastLine[name] = time;
      this[name].update({ time, value });
    }
  }
}
