"""Synthetic daily closes with a planted, learnable signal.

Each ticker has a slowly moving latent drift q (AR(1), half-life ~ 3 months):
persistent drift makes past 3-12 month returns predict the next month
(momentum). On top, a short-term reversal: a ticker that rose over the last
5 days tends to give some of it back. Noise dominates day to day, as in real
prices. Deterministic for a given --seed.

  python make_prices.py OUT.csv [--tickers 50] [--days 400] [--end 2026-11-27] [--seed 7]

Writes a wide CSV: date,<TICKER>... (business days, 4 decimals).
"""

import argparse

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--tickers", type=int, default=50)
    ap.add_argument("--days", type=int, default=400)
    ap.add_argument("--end", default="2026-11-27")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    n, t = a.tickers, a.days
    dates = pd.bdate_range(end=a.end, periods=t)
    tickers = [f"SYN{i:03d}" for i in range(n)]
    phi = 0.5 ** (1 / 63)
    q = rng.normal(0, 1, n)
    logp = np.log(rng.uniform(20, 200, n))
    out = np.empty((t, n))
    recent = np.zeros((5, n))
    for d in range(t):
        q = phi * q + np.sqrt(1 - phi**2) * rng.normal(0, 1, n)
        drift = 0.003 * q - 0.1 * recent.sum(axis=0) / 5
        r = drift + rng.normal(0, 0.015, n)
        recent = np.roll(recent, 1, axis=0)
        recent[0] = r
        logp = logp + r
        out[d] = np.exp(logp)
    frame = pd.DataFrame(np.round(out, 4), index=pd.Index(dates.strftime("%Y-%m-%d"), name="date"), columns=tickers)
    frame.to_csv(a.out)
    print(f"wrote {a.out}: {n} tickers x {t} days, {dates[0].date()} .. {dates[-1].date()}")


if __name__ == "__main__":
    main()
