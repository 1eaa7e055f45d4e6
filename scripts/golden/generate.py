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
- ref/<market>.csv: TA-Lib's values for every indicator column of `columns()`, one row per
  candle, header `open_time,<column>,...`, an empty cell where TA-Lib has no value (NaN) or
  where Sift is documented not to be ready (the deliberate differences are in PROVENANCE.md).
- PROVENANCE.md: how the files were made.

It prints how often each candle pattern is found in each market, and fails if the `patterns`
market finds any of them fewer than MIN_PATTERN_HITS times. Candle pattern lookbacks are read
from the TA-Lib C library through ctypes (the copy bundled in the wheel).

Everything is deterministic (a seeded numpy Generator per market), so re-running it rewrites
byte-identical files. Floats are written as the shortest string that round-trips (Python's
repr, whole numbers without `.0`), so Rust parses exactly the doubles TA-Lib saw. Prices are first rounded to 8
significant digits so the candle files look like Binance's.
"""

from __future__ import annotations

import csv
import ctypes
import ctypes.util
import functools
import io
import math
import platform
from pathlib import Path
from typing import Callable

import numpy as np
import talib
from talib import abstract

SEED = 20240601
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "sift-indicators" / "tests" / "golden"
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
N = 360
# Each candle pattern must occur at least this often in the `patterns` market.
MIN_PATTERN_HITS = 15


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


def market_patterns(rng: np.random.Generator) -> dict:
    """Candle shapes chosen to trigger every candle pattern many times, with near misses:
    dojis (some with open equal to close), flat candles (open = high = low = close), hammers
    after short declines and shooting stars gapping up after short rallies (small bodies, one
    long shadow, the other nearly none), engulfing pairs (some with equal edges), and runs of
    three or four strong same-colour candles each opening inside the previous body, after a
    candle of the other colour (three white soldiers, three black crows), between plain
    random candles. Shapes are drawn at random around a wandering price near 100."""
    o: list[float] = []
    h: list[float] = []
    l: list[float] = []
    c: list[float] = []
    price = 100.0

    def unit() -> float:
        # The typical candle size: about 1% of the price.
        return price * 0.01

    def push(op: float, hi: float, lo: float, cl: float) -> None:
        nonlocal price
        o.append(op)
        h.append(max(hi, op, cl))
        l.append(min(lo, op, cl))
        c.append(cl)
        price = cl

    def wick(a: float, b: float) -> float:
        return rng.uniform(a, b) * unit()

    def plain(drift: float = 0.0) -> None:
        op = price
        cl = op + unit() * (drift + rng.normal(0.0, 0.6))
        up, down = (abs(rng.normal(0.0, 0.3)) * unit() for _ in range(2))
        push(op, max(op, cl) + up, min(op, cl) - down, cl)

    def doji() -> None:
        op = price
        cl = op + wick(-0.04, 0.04) * int(rng.integers(0, 2))
        push(op, max(op, cl) + wick(0.2, 1.0), min(op, cl) - wick(0.2, 1.0), cl)

    def flat() -> None:
        push(price, price, price, price)

    def small_body() -> tuple[float, bool]:
        return wick(0.1, 0.3), bool(rng.integers(0, 2))

    def hammer() -> None:
        for _ in range(int(rng.integers(2, 4))):
            plain(-1.0)
        body, bullish = small_body()
        top = l[-1] + wick(-0.1, 0.1)
        bottom = top - body
        op, cl = (bottom, top) if bullish else (top, bottom)
        push(op, top + wick(0.0, 0.04), bottom - rng.uniform(1.2, 2.5) * body - 0.2 * unit(), cl)

    def shooting_star() -> None:
        for _ in range(int(rng.integers(2, 4))):
            plain(1.0)
        body, bullish = small_body()
        bottom = max(o[-1], c[-1]) + wick(0.05, 0.3)
        top = bottom + body
        op, cl = (bottom, top) if bullish else (top, bottom)
        push(op, top + rng.uniform(1.2, 2.5) * body + 0.2 * unit(), bottom - wick(0.0, 0.04), cl)

    def engulfing() -> None:
        sign = 1.0 if rng.integers(0, 2) else -1.0
        op = price
        cl = op - sign * wick(0.2, 0.5)
        push(op, max(op, cl) + wick(0.0, 0.3), min(op, cl) - wick(0.0, 0.3), cl)
        # Equal edges (the second body starting exactly at the first close) now and then.
        op2 = cl - sign * wick(0.0, 0.2) * int(rng.integers(0, 2))
        cl2 = op + sign * wick(0.05, 0.8) * int(rng.integers(0, 4) > 0)
        push(op2, max(op2, cl2) + wick(0.0, 0.3), min(op2, cl2) - wick(0.0, 0.3), cl2)

    def three_in_a_row(white: bool) -> None:
        sign = 1.0 if white else -1.0
        op = price
        cl = op - sign * wick(0.8, 1.5)
        push(op, max(op, cl) + wick(0.0, 0.1), min(op, cl) - wick(0.0, 0.1), cl)
        op = cl + sign * wick(0.0, 0.2)
        for _ in range(int(rng.integers(3, 5))):
            body = wick(1.0, 1.8)
            cl = op + sign * body
            near, far = wick(0.0, 0.03), wick(0.0, 0.4)
            if white:
                push(op, cl + near, op - far, cl)
            else:
                push(op, op + far, cl - near, cl)
            op = op + sign * rng.uniform(0.2, 0.8) * body

    motifs: list[Callable[[], None]] = [
        plain, plain, doji, flat, hammer, hammer, shooting_star, shooting_star, shooting_star,
        engulfing, lambda: three_in_a_row(True), lambda: three_in_a_row(True),
        lambda: three_in_a_row(False), lambda: three_in_a_row(False),
    ]
    while len(o) < N:
        motifs[int(rng.integers(0, len(motifs)))]()
    bars = {k: np.array(v[:N]) for k, v in (("open", o), ("high", h), ("low", l), ("close", c))}
    bars["volume"] = rng.lognormal(mean=6.0, sigma=0.8, size=N)
    return finish(rng, bars, hourly(N))


MARKETS: dict[str, Callable[[np.random.Generator], dict]] = {
    "walk": market_walk,
    "flat": market_flat,
    "gaps": market_gaps,
    "tiny": market_tiny,
    "huge": market_huge,
    "patterns": market_patterns,
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


def all_or_none(*outputs: np.ndarray) -> list[np.ndarray]:
    """Sift emits a multi-output row only where every field exists: blank every output where
    any of them is NaN."""
    missing = np.any([np.isnan(x) for x in outputs], axis=0)
    return [np.where(missing, np.nan, x) for x in outputs]


def vwma(c: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """VWMA(close, volume, n), blank where all n volumes of the window are zero: the weighted
    mean is 0/0 there, and Sift answers "not ready". TA-Lib's running sums give NaN there only
    when they cancel exactly; after a run of traded candles they keep a rounding residue and
    TA-Lib prints residue / residue, an arbitrary number. (For n = 1 TA-Lib copies the price.)"""
    out = talib.VWMA(c, v, n)
    if n > 1:
        traded = np.convolve((v != 0).astype(np.int64), np.ones(n, dtype=np.int64))[: len(v)]
        out = np.where(traded == 0, np.nan, out)
    return out


def vwap_daily(times: np.ndarray, h: np.ndarray, l: np.ndarray, c: np.ndarray, v: np.ndarray) -> np.ndarray:
    """VWAP(high, low, close, volume) restarted on each UTC day (TA-Lib takes no timestamps, so
    it runs on each day's slice). While a day has had no volume yet TA-Lib gives 0; Sift
    documents the candle's typical price `(high + low + close) / 3` there instead, and that is
    what is written."""
    out = np.empty(len(c))
    day = times // DAY_MS
    start = 0
    for end in range(1, len(c) + 1):
        if end < len(c) and day[end] == day[start]:
            continue
        part = slice(start, end)
        vwap = talib.VWAP(h[part], l[part], c[part], v[part])
        typical = (h[part] + l[part] + c[part]) / 3.0
        out[part] = np.where(np.cumsum(v[part]) > 0.0, vwap, typical)
        start = end
    return out


def supertrend(h: np.ndarray, l: np.ndarray, c: np.ndarray, n: int, mult: float):
    """SUPERTREND's line and its trend (+1 up, -1 down; TA-Lib writes 0 before the line
    exists, blanked here)."""
    line, trend = talib.SUPERTREND(h, l, c, n, mult)
    return all_or_none(line, trend.astype(np.float64))


@functools.cache
def ta_lib_c() -> ctypes.CDLL:
    """The TA-Lib C library the Python package runs on: the copy bundled in the wheel
    (`ta_lib.libs/` beside the `talib` package), else a system-wide one."""
    site = Path(talib.__file__).resolve().parent.parent
    bundled = sorted(site.glob("ta_lib.libs/libta-lib*.so*")) + sorted(site.glob("talib/.dylibs/libta-lib*"))
    name = str(bundled[0]) if bundled else ctypes.util.find_library("ta-lib")
    if name is None:
        raise SystemExit("cannot find the TA-Lib C library for the candle pattern lookbacks")
    return ctypes.CDLL(name)


def candle_lookback(function: str) -> int:
    """How many leading candles `function` has no answer for, from the C library's
    `TA_<function>_Lookback()` (the Python wrapper writes 0, not NaN, there). Cross-checked
    with the wrapper's abstract API."""
    lookback = getattr(ta_lib_c(), f"TA_{function}_Lookback")
    lookback.restype = ctypes.c_int
    lookback.argtypes = []
    value = int(lookback())
    assert value == abstract.Function(function).lookback, (function, value)
    return value


def pattern(function: str, hit: Callable[[np.ndarray], np.ndarray], o, h, l, c) -> np.ndarray:
    """1.0 where `hit(CDL...)` holds, else 0.0; blank during the C lookback."""
    out = np.where(hit(getattr(talib, function)(o, h, l, c)), 1.0, 0.0)
    out[: candle_lookback(function)] = np.nan
    return out


# Candle patterns: Sift's name, TA-Lib's function, and which of its answers (-100, 0, 100,
# and +-80 for an engulfing with an equal edge) count as the pattern; PATTERN_RULES says the
# same in words for PROVENANCE.md.
PATTERNS: list[tuple[str, str, Callable[[np.ndarray], np.ndarray]]] = [
    ("bullish_engulfing()", "CDLENGULFING", lambda r: r > 0),
    ("bearish_engulfing()", "CDLENGULFING", lambda r: r < 0),
    ("doji()", "CDLDOJI", lambda r: r != 0),
    ("hammer()", "CDLHAMMER", lambda r: r != 0),
    ("shooting_star()", "CDLSHOOTINGSTAR", lambda r: r != 0),
    ("three_white_soldiers()", "CDL3WHITESOLDIERS", lambda r: r != 0),
    ("three_black_crows()", "CDL3BLACKCROWS", lambda r: r != 0),
]
PATTERN_RULES = {
    "bullish_engulfing()": "> 0",
    "bearish_engulfing()": "< 0",
    "doji()": "!= 0",
    "hammer()": "!= 0",
    "shooting_star()": "!= 0",
    "three_white_soldiers()": "!= 0",
    "three_black_crows()": "!= 0",
}


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
    cols["rma(14)"] = talib.RMA(c, 14)
    cols["vwma(20)"] = vwma(c, v, 20)
    for n, mult, atr, label in ((20, 2.0, 10, "2"), (10, 1.5, 20, "1.5")):
        kc = talib.KC(h, l, c, timeperiod=n, atrperiod=atr, nbdev=mult)
        multi(f"keltner({n}, {label}, {atr})", ["upper", "middle", "lower"], all_or_none(*kc))
    multi("donchian(20)", ["upper", "middle", "lower"], all_or_none(*talib.DONCHIAN(h, l, 20)))
    cols["cmf(20)"] = talib.CMF(h, l, c, v, 20)
    cols["pvi()"] = talib.PVI(c, v)
    cols["nvi()"] = talib.NVI(c, v)
    cols["vwap()"] = vwap_daily(np.asarray(m["open_time"]), h, l, c, v)
    multi("supertrend(10, 3)", ["value", "direction"], supertrend(h, l, c, 10, 3.0))
    for spec, function, hit in PATTERNS:
        cols[spec] = pattern(function, hit, o, h, l, c)
    return cols


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def num(x: float) -> str:
    """The shortest decimal string that parses back to exactly `x`; whole numbers are written
    without `.0` (pattern flags, trend directions), keeping the files small."""
    x = float(x)
    whole = x.is_integer() and abs(x) < 2.0**53 and not (x == 0.0 and math.copysign(1.0, x) < 0.0)
    s = str(int(x)) if whole else repr(x)
    assert float(s) == x, s
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
  TA-Lib gives NaN (still warming up) or where Sift is documented not to be ready (below). A
  column is an indicator spec as Sift's registry spells it, followed by `.field` for
  multi-output indicators. Whole numbers are written without `.0` (`1`, `-1`, `1000`).
- Sift emits a multi-output row only where every field exists, so where TA-Lib gives some
  outputs of a function earlier than others, the earlier ones are blanked until all exist.

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
- `rma(n)`: RMA(close, n).
- `vwma(n)`: VWMA(close, volume, n), **blanked where all n volumes of the window are zero**:
  the weighted mean is 0/0 there and Sift is documented not to be ready (undefined to the rule
  language). TA-Lib gives NaN there only when its running sums cancel exactly; otherwise it
  divides their rounding residues and prints an arbitrary number.
- `keltner(n, m, a).upper/.middle/.lower`: KC(high, low, close, timeperiod=n, atrperiod=a,
  nbdev=m), whose outputs are upperband, middleband, lowerband.
- `donchian(n).upper/.middle/.lower`: DONCHIAN(high, low, n).
- `cmf(n)`: CMF(high, low, close, volume, n); `pvi()`: PVI(close, volume); `nvi()`:
  NVI(close, volume).
- `vwap()`: VWAP(high, low, close, volume) run separately on each UTC day's candles (TA-Lib
  takes no timestamps; Sift restarts at 00:00 UTC). **Sift deliberately differs while a day
  has had no volume yet**: TA-Lib gives 0 there, Sift documents the candle's typical price
  `(high + low + close) / 3`, and that is what these cells hold (the `flat` market has such
  days). Once a day has traded, zero-volume candles leave the value unchanged in both.
- `supertrend(n, m).value/.direction`: SUPERTREND(high, low, close, n, m), whose outputs are
  supertrend (the line) and trend (+1 up, -1 down); TA-Lib's trend is 0 before the line
  exists, blanked here.
- Candle patterns, 1 where the pattern is found and 0 where not, blank for the first
  *lookback* candles, where TA-Lib cannot judge. The Python functions write 0 there rather
  than NaN, so the lookback comes from the C library's `TA_<FUNCTION>_Lookback()` (called
  through ctypes on the library bundled in the wheel, and checked against
  `talib.abstract.Function(...).lookback`):
{patterns}

Candles where each pattern is found, per market:

{pattern_hits}

Columns: {columns}
"""


def main() -> None:
    provenance_markets = []
    all_columns: list[str] = []
    hit_rows: list[str] = []
    for index, (name, make) in enumerate(MARKETS.items()):
        rng = np.random.default_rng([SEED, index])
        m = make(rng)
        cols = columns(m)
        all_columns = list(cols)
        hits = {spec: int(np.nansum(cols[spec])) for spec, _, _ in PATTERNS}
        print(f"{name:>8}: " + ", ".join(f"{spec} {count}" for spec, count in hits.items()))
        hit_rows.append(f"| `{name}` | " + " | ".join(str(n) for n in hits.values()) + " |")
        if name == "patterns":
            few = {spec: count for spec, count in hits.items() if count < MIN_PATTERN_HITS}
            assert not few, f"the patterns market triggers too few: {few}"
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
        patterns="\n".join(
            f"  - `{spec}`: {function} {PATTERN_RULES[spec]}, lookback {candle_lookback(function)}."
            for spec, function, _ in PATTERNS
        ),
        pattern_hits="\n".join(
            [
                "| market | " + " | ".join(f"`{spec}`" for spec, _, _ in PATTERNS) + " |",
                "|---" * (len(PATTERNS) + 1) + "|",
                *hit_rows,
            ]
        ),
    )
    write_if_changed(OUT / "PROVENANCE.md", text)


if __name__ == "__main__":
    main()
