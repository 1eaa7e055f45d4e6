#!/usr/bin/env python3
"""Generates the golden data that proves Sift's indicators equal TA-Lib.

Requirements: Python 3.11+ with

    pip install "TA-Lib==0.8.*" numpy

Usage (from anywhere; paths are relative to this file):

    python scripts/golden/generate.py

It writes, under crates/sift-indicators/tests/golden/:

- candles/<market>.csv: synthetic candles in Binance's 12-column kline CSV format (no header,
  millisecond timestamps): open_time, open, high, low, close, volume, close_time, quote_volume,
  trades, taker_buy_volume, taker_buy_quote_volume, ignore.
- ref/<market>.csv: TA-Lib's values for every indicator column in COLUMNS, one row per candle,
  header `open_time,<column>,...`, an empty cell where TA-Lib has no value (NaN).
- PROVENANCE.md: how the files were made.

Everything is deterministic (a seeded numpy Generator per market), so re-running it rewrites
byte-identical files. Floats are written as the shortest string that round-trips (Python's
repr), so Rust parses exactly the doubles TA-Lib saw. Prices are first rounded to 8
significant digits so the candle files look like Binance's.
"""

from __future__ import annotations

import csv
import io
import platform
from pathlib import Path
from typing import Callable

import numpy as np
import talib

SEED = 20240601
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "sift-indicators" / "tests" / "golden"
HOUR_MS = 3_600_000
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
N = 360


# ---------------------------------------------------------------------------------------------
# Synthetic markets
# ---------------------------------------------------------------------------------------------


def sig(x: np.ndarray, digits: int = 8) -> np.ndarray:
    """Rounds each value to `digits` significant digits (through its decimal string)."""
    return np.array([float(f"{v:.{digits}g}") for v in x], dtype=np.float64)


def walk_closes(rng: np.random.Generator, n: int, start: float, vols: np.ndarray) -> np.ndarray:
    """A geometric random walk with a per-bar volatility."""
    steps = rng.normal(0.0, 1.0, n) * vols
    return start * np.exp(np.cumsum(steps))


def regime_vols(rng: np.random.Generator, n: int) -> np.ndarray:
    """Per-bar volatility switching between calm, normal and wild regimes."""
    levels = np.array([0.002, 0.01, 0.035])
    vols = np.empty(n)
    i = 0
    while i < n:
        length = int(rng.integers(20, 80))
        vols[i : i + length] = levels[rng.integers(0, 3)]
        i += length
    return vols


def candles_from_closes(
    rng: np.random.Generator, closes: np.ndarray, vols: np.ndarray, open0: float
) -> dict[str, np.ndarray]:
    """Builds OHLCV around a close path: open is the previous close, wicks are random."""
    n = len(closes)
    opens = np.concatenate([[open0], closes[:-1]])
    up = np.abs(rng.normal(0.0, 1.0, n)) * vols * 0.7
    down = np.abs(rng.normal(0.0, 1.0, n)) * vols * 0.7
    high = np.maximum(opens, closes) * (1.0 + up)
    low = np.minimum(opens, closes) * (1.0 - down)
    volume = rng.lognormal(mean=6.0, sigma=0.8, size=n)
    return {"open": opens, "high": high, "low": low, "close": closes, "volume": volume}


def finish(rng: np.random.Generator, bars: dict[str, np.ndarray], times: np.ndarray) -> dict:
    """Rounds to exchange-like precision and fills the remaining kline columns."""
    o, h, l, c = (sig(bars[k]) for k in ("open", "high", "low", "close"))
    # Rounding is monotone, so the order high >= open, close >= low survives; enforce anyway.
    h = np.maximum.reduce([h, o, c])
    l = np.minimum.reduce([l, o, c])
    v = np.round(bars["volume"], 4)
    taker = np.round(v * rng.uniform(0.2, 0.8, len(v)), 4)
    typical = (o + h + l + c) / 4.0
    quote = sig(v * typical)
    taker_quote = sig(taker * typical)
    trades = np.where(v > 0, rng.integers(1, 5000, len(v)), 0)
    return {
        "open_time": times,
        "open": o,
        "high": h,
        "low": l,
        "close": c,
        "volume": v,
        "close_time": times + HOUR_MS - 1,
        "quote_volume": quote,
        "trades": trades,
        "taker_buy_volume": taker,
        "taker_buy_quote_volume": taker_quote,
    }


def hourly(n: int) -> np.ndarray:
    return START_MS + HOUR_MS * np.arange(n, dtype=np.int64)


def market_walk(rng: np.random.Generator) -> dict:
    """A random walk around 100 with calm, normal and wild volatility regimes."""
    vols = regime_vols(rng, N)
    closes = walk_closes(rng, N, 100.0, vols)
    return finish(rng, candles_from_closes(rng, closes, vols, 100.0), hourly(N))


def market_flat(rng: np.random.Generator) -> dict:
    """Flat runs: bars with identical OHLC, from the very first bar (so Wilder-smoothed
    gains and losses are exactly zero) and later in the series (runs of 50 and 60 bars,
    longer than any warm-up used, so every rolling range, deviation and change reaches
    zero), short runs, a run with a constant close but moving wicks, and zero-volume candles
    (inside a flat run, in a 22-bar stretch of a moving market, and scattered)."""
    vols = np.full(N, 0.01)
    closes = walk_closes(rng, N, 50.0, vols)
    bars = candles_from_closes(rng, closes, vols, 50.0)
    for a, b in [(0, 50), (150, 153), (200, 260), (330, 338)]:
        level = bars["open"][a]
        for k in ("open", "high", "low", "close"):
            bars[k][a:b] = level
        bars["open"][b] = level  # the next bar opens where the run ended
        bars["high"][b] = max(bars["high"][b], level)
        bars["low"][b] = min(bars["low"][b], level)
    # Constant close with wicks: rsi sees no change while high and low still move.
    a, b = 100, 125
    level = bars["close"][a - 1]
    bars["open"][a:b] = level
    bars["close"][a:b] = level
    bars["high"][a:b] = level * (1.0 + rng.uniform(0.0005, 0.01, b - a))
    bars["low"][a:b] = level * (1.0 - rng.uniform(0.0005, 0.01, b - a))
    bars["open"][b] = level
    bars["high"][b] = max(bars["high"][b], level)
    bars["low"][b] = min(bars["low"][b], level)
    volume = bars["volume"]
    volume[rng.choice(N, 25, replace=False)] = 0.0
    volume[20:40] = 0.0
    volume[215:245] = 0.0
    volume[270:292] = 0.0
    return finish(rng, bars, hourly(N))


def market_gaps(rng: np.random.Generator) -> dict:
    """A random walk with missing candles: open times jump by several hours in places.
    Indicators are bar-based, so only the timestamps differ from a gapless market."""
    vols = regime_vols(rng, N)
    closes = walk_closes(rng, N, 2500.0, vols)
    bars = candles_from_closes(rng, closes, vols, 2500.0)
    steps = np.ones(N, dtype=np.int64)
    gap_at = rng.choice(np.arange(1, N), 12, replace=False)
    steps[gap_at] = rng.integers(2, 30, len(gap_at))
    steps[0] = 0
    times = START_MS + HOUR_MS * np.cumsum(steps)
    return finish(rng, bars, times)


def market_tiny(rng: np.random.Generator) -> dict:
    """Prices near 1e-8 (meme-coin territory), where absolute tolerances would hide anything."""
    vols = regime_vols(rng, N)
    closes = walk_closes(rng, N, 2.5e-8, vols)
    bars = candles_from_closes(rng, closes, vols, 2.5e-8)
    bars["volume"] = bars["volume"] * 1e9
    return finish(rng, bars, hourly(N))


def market_huge(rng: np.random.Generator) -> dict:
    """Prices near 1e6 with small volumes."""
    vols = regime_vols(rng, N)
    closes = walk_closes(rng, N, 1.2e6, vols)
    bars = candles_from_closes(rng, closes, vols, 1.2e6)
    bars["volume"] = bars["volume"] * 1e-4
    return finish(rng, bars, hourly(N))


MARKETS: dict[str, Callable[[np.random.Generator], dict]] = {
    "walk": market_walk,
    "flat": market_flat,
    "gaps": market_gaps,
    "tiny": market_tiny,
    "huge": market_huge,
}


# ---------------------------------------------------------------------------------------------
# Reference columns
# ---------------------------------------------------------------------------------------------


def blank_before(first: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Sift emits a multi-output row only where every field exists: blank the others where
    `first` is NaN."""
    return [np.where(np.isnan(first), np.nan, o) for o in others]


def stoch_rsi(close: np.ndarray, n: int, k: int, slow_k: int, slow_d: int):
    r = talib.RSI(close, n)
    start = int(np.argmax(~np.isnan(r))) if np.any(~np.isnan(r)) else len(r)
    body = r[start:]
    sk, sd = talib.STOCH(body, body, body, k, slow_k, talib.MA_Type.SMA, slow_d, talib.MA_Type.SMA)
    pad = np.full(start, np.nan)
    return np.concatenate([pad, sk]), np.concatenate([pad, sd])


def bbands(close: np.ndarray, n: int, mult: float):
    upper, middle, lower = talib.BBANDS(close, n, mult, mult, talib.MA_Type.SMA)
    width = np.full(len(close), np.nan)
    pct_b = np.full(len(close), np.nan)
    for i in range(len(close)):
        if np.isnan(middle[i]):
            continue
        u, m, lo = float(upper[i]), float(middle[i]), float(lower[i])
        width[i] = 0.0 if m == 0.0 else (u - lo) / m
        pct_b[i] = 0.5 if u == lo else (float(close[i]) - lo) / (u - lo)
    return upper, middle, lower, width, pct_b


def adx(h: np.ndarray, l: np.ndarray, c: np.ndarray, n: int):
    a = talib.ADX(h, l, c, n)
    plus, minus = blank_before(a, talib.PLUS_DI(h, l, c, n), talib.MINUS_DI(h, l, c, n))
    return a, plus, minus


def columns(m: dict) -> dict[str, np.ndarray]:
    """Every reference column, keyed by Sift's spec spelling (`spec` or `spec.field`)."""
    o, h, l, c, v = (np.asarray(m[k], dtype=np.float64) for k in ("open", "high", "low", "close", "volume"))
    hl2 = (h + l) / 2.0
    hlc3 = (h + l + c) / 3.0
    ma = talib.MA_Type.SMA
    cols: dict[str, np.ndarray] = {}

    def multi(spec: str, fields: list[str], values) -> None:
        for f, val in zip(fields, values, strict=True):
            cols[f"{spec}.{f}"] = val

    cols["sma(20)"] = talib.SMA(c, 20)
    cols["sma(5)"] = talib.SMA(c, 5)
    cols["sma(volume, 20)"] = talib.SMA(v, 20)
    cols["ema(20)"] = talib.EMA(c, 20)
    cols["ema(9)"] = talib.EMA(c, 9)
    cols["ema(hl2, 10)"] = talib.EMA(hl2, 10)
    cols["wma(20)"] = talib.WMA(c, 20)
    cols["dema(20)"] = talib.DEMA(c, 20)
    cols["tema(10)"] = talib.TEMA(c, 10)
    cols["rsi(14)"] = talib.RSI(c, 14)
    cols["rsi(2)"] = talib.RSI(c, 2)
    cols["rsi(hlc3, 14)"] = talib.RSI(hlc3, 14)
    for fast, slow, signal in ((12, 26, 9), (5, 35, 5)):
        multi(f"macd({fast}, {slow}, {signal})", ["line", "signal", "hist"], talib.MACD(c, fast, slow, signal))
    for k, sk, sd in ((14, 3, 3), (5, 1, 3)):
        multi(f"stoch({k}, {sk}, {sd})", ["k", "d"], talib.STOCH(h, l, c, k, sk, ma, sd, ma))
    multi("stochrsi(14, 14, 3, 3)", ["k", "d"], stoch_rsi(c, 14, 14, 3, 3))
    cols["cci(20)"] = talib.CCI(h, l, c, 20)
    cols["cci(14)"] = talib.CCI(h, l, c, 14)
    cols["mfi(14)"] = talib.MFI(h, l, c, v, 14)
    cols["willr(14)"] = talib.WILLR(h, l, c, 14)
    cols["roc(10)"] = talib.ROC(c, 10)
    cols["mom(10)"] = talib.MOM(c, 10)
    for n in (14, 7):
        multi(f"adx({n})", ["adx", "plus_di", "minus_di"], adx(h, l, c, n))
    cols["atr(14)"] = talib.ATR(h, l, c, 14)
    cols["natr(14)"] = talib.NATR(h, l, c, 14)
    for n, mult, label in ((20, 2.0, "2"), (10, 1.5, "1.5")):
        multi(f"bb({n}, {label})", ["upper", "middle", "lower", "width", "pct_b"], bbands(c, n, mult))
    cols["stddev(20)"] = talib.STDDEV(c, 20, 1.0)
    cols["obv()"] = talib.OBV(c, v)
    cols["ad()"] = talib.AD(h, l, c, v)
    cols["sar(0.02, 0.2)"] = talib.SAR(h, l, 0.02, 0.2)
    cols["sar(0.03, 0.3)"] = talib.SAR(h, l, 0.03, 0.3)
    cols["highest(20)"] = talib.MAX(h, 20)
    cols["lowest(20)"] = talib.MIN(l, 20)
    return cols


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def num(x: float) -> str:
    """The shortest decimal string that parses back to exactly `x`."""
    s = repr(float(x))
    assert float(s) == float(x), s
    return s


def write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def candles_csv(m: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for i in range(len(m["open_time"])):
        o, h, l, c = (float(m[k][i]) for k in ("open", "high", "low", "close"))
        assert l <= min(o, c) and max(o, c) <= h, (i, o, h, l, c)
        w.writerow(
            [
                int(m["open_time"][i]),
                num(o),
                num(h),
                num(l),
                num(c),
                num(m["volume"][i]),
                int(m["close_time"][i]),
                num(m["quote_volume"][i]),
                int(m["trades"][i]),
                num(m["taker_buy_volume"][i]),
                num(m["taker_buy_quote_volume"][i]),
                "0",
            ]
        )
    return buf.getvalue()


def ref_csv(m: dict, cols: dict[str, np.ndarray]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["open_time", *cols])
    for i in range(len(m["open_time"])):
        cells = ["" if np.isnan(col[i]) else num(col[i]) for col in cols.values()]
        w.writerow([int(m["open_time"][i]), *cells])
    return buf.getvalue()


PROVENANCE = """\
# Golden data: provenance

Generated by `scripts/golden/generate.py`; do not edit by hand.

- TA-Lib Python wrapper {talib_py} (TA-Lib C library {talib_c}), numpy {numpy}, Python {python}.
- Seed {seed}: market *i* (in the order below) uses `numpy.random.default_rng([{seed}, i])`.
- Regenerate: `pip install "TA-Lib==0.8.*" numpy && python scripts/golden/generate.py`.
  The script is deterministic; re-running it must leave these files unchanged.
- Checked by `cargo test -p sift-indicators --test golden` (tolerances documented there).

## Files

- `candles/<market>.csv`: Binance 12-column kline CSV, no header, open and close times in
  epoch milliseconds, hourly bars. Prices are rounded to 8 significant digits; every number is
  written as the shortest string that round-trips to the same double.
- `ref/<market>.csv`: header `open_time,<column>,...`, one row per candle; an empty cell where
  TA-Lib gives NaN (still warming up). A column is an indicator spec as Sift's registry spells
  it, followed by `.field` for multi-output indicators.

## Markets

{markets}

## Columns and their TA-Lib functions

Sources: `hl2 = (high + low) / 2` and `hlc3 = (high + low + close) / 3`, in that order.

- `sma`: SMA; `ema`: EMA; `wma`: WMA; `dema`: DEMA; `tema`: TEMA; `rsi`: RSI.
- `macd(f, s, g).line/.signal/.hist`: MACD(close, f, s, g).
- `stoch(k, sk, sd).k/.d`: STOCH(high, low, close, k, sk, SMA, sd, SMA).
- `stochrsi(n, k, sk, sd).k/.d`: r = RSI(close, n) with its leading NaNs removed, then
  STOCH(r, r, r, k, sk, SMA, sd, SMA), re-aligned to the candles.
- `cci`: CCI; `mfi`: MFI; `willr`: WILLR; `roc`: ROC; `mom`: MOM.
- `adx(n).adx/.plus_di/.minus_di`: ADX, PLUS_DI, MINUS_DI; PLUS_DI and MINUS_DI are blanked
  before ADX's first value, since Sift emits a row only when all its fields exist.
- `atr`: ATR; `natr`: NATR; `stddev(n)`: STDDEV(close, n, 1).
- `bb(n, m).upper/.middle/.lower`: BBANDS(close, n, m, m, SMA);
  `width = (upper - lower) / middle` (0 when middle is 0);
  `pct_b = (close - lower) / (upper - lower)` (0.5 when upper equals lower).
- `obv()`: OBV(close, volume); `ad()`: AD; `sar(a, m)`: SAR(high, low, a, m).
- `highest(n)`: MAX(high, n); `lowest(n)`: MIN(low, n).

Columns: {columns}
"""


def main() -> None:
    provenance_markets = []
    all_columns: list[str] = []
    for index, (name, make) in enumerate(MARKETS.items()):
        rng = np.random.default_rng([SEED, index])
        m = make(rng)
        cols = columns(m)
        all_columns = list(cols)
        write_if_changed(OUT / "candles" / f"{name}.csv", candles_csv(m))
        write_if_changed(OUT / "ref" / f"{name}.csv", ref_csv(m, cols))
        doc = " ".join((make.__doc__ or "").split())
        provenance_markets.append(f"- `{name}` ({len(m['open_time'])} candles): {doc}")
    text = PROVENANCE.format(
        talib_py=talib.__version__,
        talib_c=talib.__ta_version__.decode().split(" ")[0],
        numpy=np.__version__,
        python=platform.python_version(),
        seed=SEED,
        markets="\n".join(provenance_markets),
        columns=", ".join(f"`{c}`" for c in all_columns),
    )
    write_if_changed(OUT / "PROVENANCE.md", text)


if __name__ == "__main__":
    main()
