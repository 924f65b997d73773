"""How the allocation moves when the criterion weights move: Dirichlet draws around the chosen weights.

Weights are a political choice, so the report shows, per municipality, the range of its number over many
plausible weightings (10th–90th percentile) and how stable its rank is.  Every draw is apportioned with exactly
the same rule as the recommendation (:func:`bosetting_lib.model.allocation.apportion`), all draws at once
(:func:`bosetting_lib.model.allocation.apportion_matrix`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from bosetting_lib.model.allocation import (
    _check_caps,
    _check_exceptions,
    check_index,
    _NO_CAP,
    apportion,
    apportion_matrix,
)
from bosetting_lib.model import anchor

__all__ = [
    "DEFAULT_CONCENTRATION",
    "DEFAULT_SEED",
    "anchor_sensitivity",
    "anchor_weight_matrix",
    "criterion_contributions",
    "draw_anchor_settings",
    "draw_allocations",
    "draw_weights",
    "municipal_weights",
    "run_sensitivity",
]

# With concentration k a criterion weight p varies with standard deviation sqrt(p(1-p)/(k+1)): for k = 100 a weight
# of 30 % moves by about 4.6 percentage points, a plausible range for a political negotiation.
DEFAULT_CONCENTRATION = 100.0
DEFAULT_SEED = 20_260_101

_SHARE_TOL = 1e-6


def _check_base_weights(base_weights: pd.Series) -> pd.Series:
    """Validate criterion weights and return them normalised to sum 1."""
    if not isinstance(base_weights, pd.Series):
        raise ValueError("base_weights must be a pandas Series: criterion -> weight.")
    if not base_weights.index.is_unique:
        raise ValueError("base_weights has duplicate criteria.")
    w = base_weights.astype(float)
    if w.isna().any() or not np.isfinite(w.to_numpy()).all():
        bad = w.index[~np.isfinite(w.to_numpy())].tolist()
        raise ValueError(f"base_weights has missing or infinite values: {bad}.")
    if (w < 0).any():
        raise ValueError(f"base_weights must be non-negative; negative for {w.index[w < 0].tolist()}.")
    if w.sum() <= 0:
        raise ValueError("base_weights must have a positive sum.")
    return w / w.sum()


def _check_shares(criterion_shares: pd.DataFrame, criteria: pd.Index) -> np.ndarray:
    """Validate the share table (each criterion column sums to 1) and return it as (municipalities, criteria)."""
    if not isinstance(criterion_shares, pd.DataFrame):
        raise ValueError("criterion_shares must be a DataFrame: index municipality code, one column per criterion.")
    check_index(criterion_shares.index, "criterion_shares")
    missing = criteria.difference(criterion_shares.columns)
    extra = criterion_shares.columns.difference(criteria)
    if len(missing) or len(extra):
        raise ValueError(
            f"criterion_shares columns and base_weights criteria differ: missing {missing.tolist()}, "
            f"not weighted {extra.tolist()}."
        )
    s = criterion_shares.loc[:, list(criteria)].to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(s).any() or not np.isfinite(s).all():
        raise ValueError("criterion_shares has missing or infinite values.")
    if (s < 0).any():
        raise ValueError("criterion_shares must be non-negative.")
    sums = s.sum(axis=0)
    off = [c for c, t in zip(criteria, sums) if abs(t - 1.0) > _SHARE_TOL]
    if off:
        raise ValueError(f"each criterion column must sum to 1; does not for {off}.")
    return s


def draw_weights(
    base_weights: pd.Series,
    n_draws: int,
    concentration: float = DEFAULT_CONCENTRATION,
    seed: int | np.random.Generator | None = DEFAULT_SEED,
) -> np.ndarray:
    """Draw criterion weightings from a Dirichlet distribution centred on the chosen weights.

    Returns an array (n_draws, criteria) in the order of `base_weights`, every row summing to 1; the mean of each
    column is the chosen (normalised) weight and larger `concentration` means smaller spread.  Criteria with
    weight 0 stay at 0 (the Dirichlet needs positive parameters).  The same seed gives the same draws.
    """
    w = _check_base_weights(base_weights).to_numpy()
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}.")
    if not np.isfinite(concentration) or concentration <= 0:
        raise ValueError(f"concentration must be positive, got {concentration!r}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = np.zeros((int(n_draws), len(w)))
    pos = w > 0
    if pos.sum() == 1:
        out[:, pos] = 1.0
    else:
        out[:, pos] = rng.dirichlet(concentration * w[pos], size=int(n_draws))
    return out


def municipal_weights(criterion_shares: pd.DataFrame, draws: np.ndarray, criteria: Iterable[str]) -> np.ndarray:
    """Each draw's weight per municipality: (draws, criteria) @ (criteria, municipalities) -> (draws, municip.)."""
    crit = pd.Index(list(criteria))
    s = _check_shares(criterion_shares, crit)
    d = np.atleast_2d(np.asarray(draws, dtype=float))
    if d.shape[1] != len(crit):
        raise ValueError(f"draws must have one column per criterion ({len(crit)}), got {d.shape[1]}.")
    # Tiny negative round-off from the product would be rejected by the apportionment.
    return np.maximum(d @ s.T, 0.0)


def draw_allocations(
    criterion_shares: pd.DataFrame,
    draws: np.ndarray,
    criteria: Iterable[str],
    total: int,
    *,
    minimum: int = 10,
    maximum: pd.Series | None = None,
    method: str = "sainte-lague",
    exceptions: Iterable[str] | None = None,
) -> np.ndarray:
    """Apportion every draw at once; row r equals apportion() of the r-th row of municipal_weights()."""
    w = municipal_weights(criterion_shares, draws, criteria)
    index = criterion_shares.index
    cap = _check_caps(maximum, index)
    exc = _check_exceptions(exceptions, index)
    return apportion_matrix(
        w, total, minimum=minimum, caps=np.where(cap >= _NO_CAP, -1, cap), excepted=exc, method=method
    )


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


def run_sensitivity(
    criterion_shares: pd.DataFrame,
    base_weights: pd.Series,
    total: int,
    *,
    n_draws: int = 10_000,
    concentration: float = DEFAULT_CONCENTRATION,
    seed: int | np.random.Generator | None = DEFAULT_SEED,
    minimum: int = 10,
    maximum: pd.Series | None = None,
    method: str = "sainte-lague",
    exceptions: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Per municipality: the base allocation and its spread over Dirichlet draws of the criterion weights.

    Columns: ``base`` (allocation with the chosen weights), ``p10``/``p50``/``p90``/``min``/``max`` (over the
    draws; percentiles are observed values, numpy's "inverted_cdf"), ``zero_share`` (share of draws giving 0),
    ``base_rank`` (1 = largest; ties share the best rank), ``rank_p10``/``rank_p90`` (10th/90th percentile of the
    rank; a small rank number is a high place) and ``same_rank_share`` (share of draws with the base rank).
    """
    w = _check_base_weights(base_weights)
    shares = _check_shares(criterion_shares, w.index)
    index = criterion_shares.index
    base_w = pd.Series(np.maximum(shares @ w.to_numpy(), 0.0), index=index)
    base = apportion(base_w, total, minimum=minimum, maximum=maximum, method=method, exceptions=exceptions)
    draws = draw_weights(w, n_draws, concentration, seed)
    alloc = draw_allocations(
        criterion_shares, draws, w.index, total, minimum=minimum, maximum=maximum, method=method, exceptions=exceptions
    )
    q = np.quantile(alloc, [0.1, 0.5, 0.9], axis=0, method="inverted_cdf").astype(np.int64)
    ranks = _ranks(alloc)
    base_rank = _ranks(base.to_numpy()[None, :])[0]
    rq = np.quantile(ranks, [0.1, 0.9], axis=0, method="inverted_cdf").astype(np.int64)
    return pd.DataFrame(
        {
            "base": base.to_numpy(),
            "p10": q[0],
            "p50": q[1],
            "p90": q[2],
            "min": alloc.min(axis=0),
            "max": alloc.max(axis=0),
            "zero_share": (alloc == 0).mean(axis=0),
            "base_rank": base_rank,
            "rank_p10": rq[0],
            "rank_p90": rq[1],
            "same_rank_share": (ranks == base_rank[None, :]).mean(axis=0),
        },
        index=index.copy(),
    )


def criterion_contributions(
    criterion_shares: pd.DataFrame, base_weights: pd.Series, allocation: pd.Series
) -> pd.DataFrame:
    """Split each municipality's allocation over the criteria in proportion to weight x share (rows sum to it).

    Column j of row i is allocation_i * w_j * s_ij / sum_k w_k * s_ik (0 where the municipality's key is 0): how
    many of its persons "come from" each criterion.  Fractions, for explanation only.
    """
    w = _check_base_weights(base_weights)
    s = _check_shares(criterion_shares, w.index)
    alloc = allocation.reindex(criterion_shares.index)
    if alloc.isna().any():
        raise ValueError(f"allocation is missing for {alloc.index[alloc.isna()].tolist()[:10]}.")
    parts = s * w.to_numpy()[None, :]
    key = parts.sum(axis=1, keepdims=True)
    frac = np.divide(parts, key, out=np.zeros_like(parts), where=key > 0)
    return pd.DataFrame(frac * alloc.to_numpy(dtype=float)[:, None], index=criterion_shares.index, columns=w.index)


# ---------------------------------------------------------------------------------------------------------------
# The anchor model: vary its settings instead of a key's weights
# ---------------------------------------------------------------------------------------------------------------


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
    :func:`draw_anchor_settings`); the same columns as :func:`run_sensitivity`. Exceptions (``fixed``) keep their
    number in every draw; caps (stated capacity, 0 for a decline) bind in every draw."""
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
