"""How the recommendation moves when the anchor model's settings move: draws around the chosen settings.

The weight on the request against the decision, how fast older years fade and each criterion's strength are
choices, so the report shows, per municipality, the range of its number over many plausible settings (10th–90th
percentile) and how stable its rank is. Every draw is apportioned with exactly the same rule as the recommendation
(:func:`bosetting_lib.model.allocation.apportion`), all draws at once
(:func:`bosetting_lib.model.allocation.apportion_matrix`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bosetting_lib.model import anchor
from bosetting_lib.model.allocation import _NO_CAP, _check_caps, apportion_matrix

__all__ = ["DEFAULT_SEED", "anchor_sensitivity", "anchor_weight_matrix", "draw_anchor_settings"]

DEFAULT_SEED = 20_260_101


def _ranks(alloc: np.ndarray) -> np.ndarray:
    """Competition ranks per row (1 = largest; equal numbers share the best rank), vectorised over rows."""
    a = np.atleast_2d(alloc).astype(np.int64)
    n = a.shape[1]
    order = np.argsort(-a, axis=1, kind="stable")
    s = np.take_along_axis(a, order, axis=1)
    # In each sorted row a value's rank is the position where its run of equal values starts.
    starts = np.ones(s.shape, dtype=bool)
    starts[:, 1:] = s[:, 1:] != s[:, :-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0), axis=1)
    ranks = np.empty_like(a)
    np.put_along_axis(ranks, order, first + 1, axis=1)
    return ranks


def draw_anchor_settings(settings, n_draws: int, spread: float = 0.5,
                         seed: int | np.random.Generator | None = DEFAULT_SEED) -> pd.DataFrame:
    """Plausible other settings of the anchor model, one row per draw (the first row is the chosen settings).

    ``request_weight`` and ``recency`` are drawn uniformly within ±``spread``/2 of the chosen value (clipped to
    [0, 1]); each tilt's strength uniformly between (1 − ``spread``) and (1 + ``spread``) times the chosen one, so
    spread 0.5 draws a ±5 % tilt between ±2.5 % and ±7.5 %, and spread 1 between none and double. The same seed
    gives the same draws.
    """
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}.")
    if not 0 <= spread <= 1:
        raise ValueError(f"spread must lie in [0, 1], got {spread!r}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = int(n_draws)
    half = spread / 2
    frame = pd.DataFrame({
        "request_weight": np.clip(settings.request_weight + rng.uniform(-half, half, n), 0, 1),
        "recency": np.clip(settings.recency + rng.uniform(-half, half, n), 0, 1),
    })
    for tilt in settings.tilts:
        frame[tilt.id] = tilt.strength * rng.uniform(1 - spread, 1 + spread, n)
    frame.iloc[0] = [settings.request_weight, settings.recency, *(t.strength for t in settings.tilts)]
    return frame


def anchor_weight_matrix(history: pd.DataFrame, table: pd.DataFrame, criteria: pd.DataFrame | None, settings,
                         draws: pd.DataFrame, wishes: pd.Series | None = None) -> np.ndarray:
    """The anchor model's unrounded weights (draws, municipalities) for each row of settings in ``draws``.

    ``table`` is :func:`~bosetting_lib.model.anchor.anchor_recommendation`'s result with the chosen settings: it fixes
    who is held at 0 (zeros persist, declines) and who was lifted from 0, which no setting changes. Row r is
    proportional to that function's ``urundet`` for the settings of row r.
    """
    codes = history.index
    years = anchor.history_years(history)
    req = np.stack([anchor._shares(history[f"anmodet_{y}"].astype(float)).to_numpy() for y in years])  # (years, n)
    dec = np.stack([anchor._shares(anchor._decision(history, y)).to_numpy() for y in years])
    rw = draws["request_weight"].to_numpy()[:, None, None]
    rec = draws["recency"].to_numpy()
    back = np.array([max(years) - y for y in years], dtype=float)
    with np.errstate(invalid="ignore"):
        w = np.where(back[None, :] == 0, 1.0, rec[:, None] ** back[None, :])  # (draws, years); 0 ** 0 stays 1
    w = w / w.sum(axis=1, keepdims=True)
    raw = (w[:, :, None] * (rw * req[None] + (1 - rw) * dec[None])).sum(axis=1)  # (draws, n)
    kept = table["grunnlag_andel"].reindex(codes).to_numpy(float) > 0
    default = table["grunnlag_andel"].reindex(codes).to_numpy(float)
    raw = np.where(kept[None, :], np.where(raw > 0, raw, default[None, :]), 0.0)
    base = raw / raw.sum(axis=1, keepdims=True)
    moves = np.zeros_like(base)
    for tilt in settings.tilts:
        score = anchor.tilt_scores(tilt, criteria[tilt.column].reindex(codes), pd.Series(default, index=codes))
        moves = moves + draws[tilt.id].to_numpy()[:, None] * score.to_numpy()[None, :]
    total = np.abs(moves)
    over = total > settings.tilt_bound
    moves = np.where(over, moves * settings.tilt_bound / np.where(over, total, 1.0), moves)
    wish = (np.zeros(len(codes)) if wishes is None else
            wishes.reindex(codes).astype("float64").fillna(0.0).clip(-1, 1).to_numpy())
    factor = 1.0 + moves + settings.feedback_step * np.where(kept, wish, 0.0)[None, :]
    return np.maximum(base * factor, 0.0)


def anchor_sensitivity(history: pd.DataFrame, table: pd.DataFrame, criteria: pd.DataFrame | None, settings,
                       total: int, *, n_draws: int = 10_000, spread: float = 0.5,
                       seed: int | np.random.Generator | None = DEFAULT_SEED, caps: pd.Series | None = None,
                       fixed: dict[str, int] | None = None, wishes: pd.Series | None = None) -> pd.DataFrame:
    """Per municipality: the recommendation and its spread when the anchor model's settings vary (see
    :func:`draw_anchor_settings`). Exceptions (``fixed``) keep their number in every draw; caps (stated capacity, 0
    for a decline) bind in every draw.

    Columns: ``base`` (the number with the chosen settings, the first draw), ``p10``/``p50``/``p90``, ``min``/``max``
    and ``zero_share`` (share of draws giving 0) of the number over the draws; ``base_rank`` and ``rank_p10``/
    ``rank_p90`` (1 = largest, equal numbers share a rank) and ``same_rank_share`` (share of draws keeping
    ``base_rank``).
    """
    codes = history.index
    fixed = dict(fixed or {})
    draws = draw_anchor_settings(settings, n_draws, spread, seed)
    weights = anchor_weight_matrix(history, table, criteria, settings, draws, wishes)
    rest = ~codes.isin(list(fixed))
    cap = _check_caps(caps.reindex(codes) if caps is not None else None, codes)
    alloc = np.zeros(weights.shape, dtype=np.int64)
    alloc[:, rest] = apportion_matrix(weights[:, rest], total - sum(fixed.values()), minimum=settings.minimum,
                                      caps=np.where(cap[rest] >= _NO_CAP, -1, cap[rest]), method=settings.method)
    for code, n in fixed.items():
        alloc[:, codes.get_loc(code)] = n
    base = alloc[0]
    q = np.quantile(alloc, [0.1, 0.5, 0.9], axis=0, method="inverted_cdf").astype(np.int64)
    ranks = _ranks(alloc)
    base_rank = ranks[0]
    rq = np.quantile(ranks, [0.1, 0.9], axis=0, method="inverted_cdf").astype(np.int64)
    return pd.DataFrame({
        "base": base, "p10": q[0], "p50": q[1], "p90": q[2], "min": alloc.min(axis=0), "max": alloc.max(axis=0),
        "zero_share": (alloc == 0).mean(axis=0), "base_rank": base_rank, "rank_p10": rq[0], "rank_p90": rq[1],
        "same_rank_share": (ranks == base_rank[None, :]).mean(axis=0),
    }, index=codes.copy())
