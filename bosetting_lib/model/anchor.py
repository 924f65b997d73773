"""Anchor and tilt: start from the municipality's latest request and decision, let criteria tilt it within a bound.

The model, step by step (every step is a column of :func:`anchor_recommendation`'s table, in persons):

1. **Base** ("grunnlag"): per history year, a mix of the municipality's share of the county's request and of its
   share of the county's decisions (``request_weight``); the years are weighted by recency (the latest year 1, a
   year k years older ``recency ** k``). A "-" in IMDi's decision column means "not asked": it is a 0 decision, a
   signal, not a gap. A decision not yet made («avventer vedtak») falls back to the request of that year.
2. **Zeros persist**: a municipality asked for 0 in the latest year (and, with ``zero_rule="asked_zero_or_declined"``,
   one that decided 0 on a request above 0) gets base 0 unless its answer in the feedback round says it will settle
   (``will_settle`` True). Its share goes to the others in proportion. A municipality lifted from 0 by its answer takes
   its older history's share, or its population share when it has none.
3. **Tilts**: each :class:`Tilt` scores the municipalities from −1 to 1 within the county and moves the base by
   ``strength × score``; the sum of the moves is bounded by ``± tilt_bound`` (each criterion's move scaled down in
   proportion when the bound binds). The unrounded number is ``total × base × (1 + moves) / Σ base × (1 + moves)``:
   the difference between ``total × base`` and that number is each tilt's persons plus the others' tilts
   ("utjevning", the renormalisation).
   A municipality's answer "more/fewer than before" (``wishes`` +1 / −1) moves its base by ``± feedback_step`` in the
   same way (its own bound, shown as its own part of the explanation).
4. **Exceptions**: an explicit list ``[{kommunenummer, antall, begrunnelse}]`` is honoured (fixed at ``antall``, the
   rest re-apportioned). Candidates are *proposed*, with a reason, never applied silently: a municipality whose latest
   request was between 1 and the minimum − 1, or whose unrounded number lands where the exception amount (5) is the
   nearest allowed number (from half the amount up to halfway between the amount and the minimum). The backtest can
   set ``apply_proposed_exceptions`` to measure what accepting them would do.
5. **Rounding** with :func:`bosetting_lib.model.allocation.apportion_detailed` (Sainte-Laguë with the minimum as a block,
   caps from the feedback): every number is 0, an exception, or at least the minimum, and the sum is exactly the
   total.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bosetting_lib.config.params import TILT_DIRECTIONS, Params
from bosetting_lib.config.params import TILT_KINDS as TILT_KIND_NAMES
from bosetting_lib.config.params import ZERO_RULES as ZERO_RULE_NAMES
from bosetting_lib.model.allocation import apportion_detailed
from bosetting_lib.errors import BosettingError
from bosetting_lib.formatting import format_decimal, format_int

ZERO_RULES = ("asked_zero", "asked_zero_or_declined", "none")
TILT_KINDS = ("rank", "toward_population", "log_ratio")
_YEAR_COLUMN = re.compile(r"^(anmodet|vedtatt)_(\d{4})$")


@dataclass(frozen=True)
class Tilt:
    """One criterion that moves the base up or down.

    ``kind``: "rank" scores by centred percentile rank within the county (−1 lowest … 1 highest); "log_ratio" by
    log2(value / county median) clipped to ±1; "toward_population" by log2(population share / base share) clipped
    to ±1 (positive where the base gives less than the population would). ``direction`` −1 turns the score round
    (a higher value gives fewer). ``strength`` is the largest move the criterion alone can make (0.1 = ±10 %).
    ``serves`` names the national criterion it serves (for the report).
    """

    id: str
    navn: str
    column: str
    strength: float
    kind: str = "rank"
    direction: int = 1
    serves: str = ""

    def __post_init__(self) -> None:
        if self.kind not in TILT_KINDS:
            raise ValueError(f"Tilt {self.id}: kind must be one of {TILT_KINDS}, got {self.kind!r}.")
        if self.direction not in (1, -1):
            raise ValueError(f"Tilt {self.id}: direction must be 1 or -1.")
        if not (0 <= self.strength <= 1):
            raise ValueError(f"Tilt {self.id}: strength must lie in [0, 1].")


@dataclass(frozen=True)
class AnchorSettings:
    """The model's parameters (defaults: chosen by the walk-forward backtest, see docs/backtest_research.md)."""

    request_weight: float = 0.5
    recency: float = 0.0
    tilt_bound: float = 0.15
    tilts: tuple[Tilt, ...] = ()
    zero_rule: str = "asked_zero"
    exception_amount: int = 5
    apply_proposed_exceptions: bool = False
    minimum: int = 10
    method: str = "sainte-lague"
    feedback_step: float = 0.2

    def __post_init__(self) -> None:
        if not (0 <= self.request_weight <= 1):
            raise ValueError("request_weight must lie in [0, 1].")
        if not (0 <= self.recency <= 1):
            raise ValueError("recency must lie in [0, 1].")
        if not (0 <= self.tilt_bound < 1):
            raise ValueError("tilt_bound must lie in [0, 1).")
        if self.zero_rule not in ZERO_RULES:
            raise ValueError(f"zero_rule must be one of {ZERO_RULES}.")
        if not (0 < self.exception_amount < self.minimum) and self.minimum > 1:
            raise ValueError("exception_amount must lie between 0 and the minimum.")
        if not (0 <= self.feedback_step < 1):
            raise ValueError("feedback_step must lie in [0, 1).")


@dataclass(frozen=True)
class ExceptionEntry:
    """An exception from the minimum, with its reason (as in the parameters' ``unntak`` list)."""

    kommunenummer: str
    antall: int
    begrunnelse: str


def parse_exceptions(items: Iterable[Mapping] | None, codes: pd.Index) -> list[ExceptionEntry]:
    """Check ``[{kommunenummer, antall, begrunnelse}]``; a Norwegian error names the entry and what is wrong."""
    out, problems = [], []
    for i, item in enumerate(items or [], start=1):
        code = str(item.get("kommunenummer", "")).strip()
        count = item.get("antall")
        reason = str(item.get("begrunnelse") or "").strip()
        if code not in codes:
            problems.append(f"unntak nr. {i}: kommunenummer «{code}» er ikke en kommune i fylket")
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            problems.append(f"unntak nr. {i} ({code}): antall må være et helt tall ≥ 0, fant «{count}»")
        if not reason:
            problems.append(f"unntak nr. {i} ({code}): et unntak må ha en begrunnelse")
        if not problems:
            out.append(ExceptionEntry(code, int(count), reason))
    seen = [e.kommunenummer for e in out]
    dupes = sorted({c for c in seen if seen.count(c) > 1})
    if dupes:
        problems.append(f"samme kommune står flere ganger i unntak: {', '.join(dupes)}")
    if problems:
        raise BosettingError("Feil i unntakene: " + "; ".join(problems) + ".")
    return out


# ---------------------------------------------------------------------------------------------------------------
# History → base
# ---------------------------------------------------------------------------------------------------------------


def history_years(history: pd.DataFrame) -> list[int]:
    """The years with a request column (``anmodet_YYYY``) in the history, ascending."""
    return sorted({int(m.group(2)) for c in history.columns if (m := _YEAR_COLUMN.match(str(c))) and m.group(1) == "anmodet"})


def _shares(values: pd.Series) -> pd.Series:
    v = values.fillna(0.0).clip(lower=0.0).astype(float)
    s = float(v.sum())
    return v / s if s > 0 else v * 0.0


def _decision(history: pd.DataFrame, year: int) -> pd.Series:
    """Decision for ``year``: "-" → 0, a decision not made (text, NaN) → that year's request."""
    req = history[f"anmodet_{year}"].astype(float)
    if f"vedtatt_{year}" not in history.columns:
        return req
    dec = history[f"vedtatt_{year}"].astype(float)
    status = history.get(f"vedtatt_{year}_status")
    if status is not None:
        dec = dec.mask(status.astype("object").eq("-").fillna(False).astype(bool), 0.0)
    return dec.fillna(req)


def year_weights(years: list[int], recency: float) -> dict[int, float]:
    """Recency weights: the latest year 1, a year k years older ``recency ** k``; normalised to sum 1."""
    latest = max(years)
    raw = {y: (1.0 if y == latest else recency ** (latest - y)) for y in years}
    s = sum(raw.values())
    return {y: w / s for y, w in raw.items()}


def base_parts(history: pd.DataFrame, settings: AnchorSettings) -> pd.DataFrame:
    """Per municipality: the latest request share, the latest decision's pull, the older years' pull, the raw base."""
    years = history_years(history)
    if not years:
        raise BosettingError("Historikken har ingen år med anmodning (kolonner anmodet_ÅÅÅÅ); grunnlaget kan ikke regnes ut.")
    weights = year_weights(years, settings.recency)
    w = settings.request_weight
    latest = years[-1]
    req_share = {y: _shares(history[f"anmodet_{y}"].astype(float)) for y in years}
    dec_share = {y: _shares(_decision(history, y)) for y in years}
    mixed = {y: w * req_share[y] + (1 - w) * dec_share[y] for y in years}
    raw = sum(weights[y] * mixed[y] for y in years)
    decision_pull = weights[latest] * (1 - w) * (dec_share[latest] - req_share[latest])
    return pd.DataFrame({
        "andel_anmodet_sist": req_share[latest],
        "vedtak_trekk": decision_pull,
        "eldre_trekk": raw - req_share[latest] - decision_pull,
        "grunnlag_raa": raw,
    })


# ---------------------------------------------------------------------------------------------------------------
# Tilts
# ---------------------------------------------------------------------------------------------------------------


def tilt_scores(tilt: Tilt, values: pd.Series, base: pd.Series, population: pd.Series | None = None) -> pd.Series:
    """Scores in [−1, 1] for the municipalities with base > 0; others and missing values score 0 (neutral)."""
    eligible = base > 0
    v = values.astype(float).where(eligible)
    score = pd.Series(0.0, index=base.index)
    if tilt.kind == "rank":
        ok = v.notna()
        n = int(ok.sum())
        if n >= 2:
            ranks = v[ok].rank(method="average")
            score[ok] = (ranks - (n + 1) / 2) / ((n - 1) / 2)
    elif tilt.kind == "log_ratio":
        ok = v.notna() & (v > 0)
        if ok.any():
            median = float(v[ok].median())
            score[ok] = np.clip(np.log2(v[ok] / median), -1, 1)
    else:  # toward_population
        ok = v.notna() & (v > 0)
        if ok.any():
            pop = v[ok] / v[ok].sum()
            b = base[ok] / base[ok].sum()
            score[ok] = np.clip(np.log2(pop / b), -1, 1)
    return score * tilt.direction


def tilt_moves(base: pd.Series, criteria: pd.DataFrame | None, settings: AnchorSettings) -> pd.DataFrame:
    """Each tilt's fractional move per municipality (strength × score), scaled so the total stays within the bound."""
    moves = pd.DataFrame(index=base.index)
    for tilt in settings.tilts:
        if criteria is None or tilt.column not in criteria.columns:
            raise BosettingError(f"Kriteriet «{tilt.navn}» trenger kolonnen «{tilt.column}», som mangler i kriteriedataene.")
        moves[tilt.id] = tilt.strength * tilt_scores(tilt, criteria[tilt.column].reindex(base.index), base)
    if moves.shape[1]:
        total = moves.sum(axis=1)
        scale = pd.Series(1.0, index=base.index)
        over = total.abs() > settings.tilt_bound
        scale[over] = settings.tilt_bound / total[over].abs()
        moves = moves.mul(scale, axis=0)
    return moves


# ---------------------------------------------------------------------------------------------------------------
# The recommendation
# ---------------------------------------------------------------------------------------------------------------


def anchor_recommendation(
    history: pd.DataFrame,
    total: int,
    settings: AnchorSettings | None = None,
    *,
    criteria: pd.DataFrame | None = None,
    will_settle: pd.Series | None = None,
    caps: pd.Series | None = None,
    exceptions: Iterable[Mapping] | None = None,
    wishes: pd.Series | None = None,
) -> pd.DataFrame:
    """The anchor-and-tilt recommendation for one county: a table indexed by kommunenummer (see the module docstring).

    ``history``: columns ``anmodet_YYYY``, ``vedtatt_YYYY`` (floats, NaN where no number) and optionally
    ``vedtatt_YYYY_status`` ("-", "avventer vedtak", …), as :func:`bosetting_lib.steps.allocate.history_wide` makes.
    ``criteria``: the tilts' columns (and ``folketall`` for lifted zeros). ``will_settle``: True (will settle: lifts a
    zero), False (declines: 0), NaN (no answer). ``caps``: stated maximum (NaN = none). ``exceptions``:
    ``[{kommunenummer, antall, begrunnelse}]``. ``wishes``: +1 (more than before), −1 (fewer), 0 or NaN (no move).
    """
    settings = DEFAULT_SETTINGS if settings is None else settings
    codes = history.index
    if not codes.is_unique:
        raise BosettingError("Historikken har samme kommunenummer flere ganger.")
    years = history_years(history)
    latest = years[-1] if years else None
    parts = base_parts(history, settings)
    last_req = history[f"anmodet_{latest}"].astype(float)
    last_dec = _decision(history, latest)
    answer = (will_settle.reindex(codes).astype("boolean") if will_settle is not None
              else pd.Series(pd.NA, index=codes, dtype="boolean"))
    says_yes = answer.eq(True).fillna(False).astype(bool)
    says_no = answer.eq(False).fillna(False).astype(bool)

    asked_zero = last_req.fillna(0).eq(0)
    declined = last_req.fillna(0).gt(0) & last_dec.eq(0)
    if settings.zero_rule == "asked_zero":
        zero = asked_zero
    elif settings.zero_rule == "asked_zero_or_declined":
        zero = asked_zero | declined
    else:
        zero = pd.Series(False, index=codes)
    lifted = zero & says_yes
    zero = (zero & ~says_yes) | says_no

    raw = parts["grunnlag_raa"].copy()
    no_history = lifted & raw.eq(0)
    if no_history.any():
        # A municipality lifted from 0 with no share in any year: its population share, or the county's median share.
        pop = criteria["folketall"].reindex(codes).astype(float) if criteria is not None and "folketall" in criteria else None
        fill = (_shares(pop) if pop is not None and pop.notna().all() else
                pd.Series(float(raw[raw > 0].median()) if (raw > 0).any() else 1.0 / len(codes), index=codes))
        raw[no_history] = fill[no_history]
    kept = raw.where(~zero, 0.0)
    if kept.sum() <= 0:
        raise BosettingError("Alle kommunene har 0 i grunnlaget (anmodet 0 eller takket nei); totaltallet kan ikke fordeles. "
                             "Legg inn tilbakemeldinger eller unntak for kommunene som skal bosette.")
    base = kept / kept.sum()

    moves = tilt_moves(base, criteria, settings)
    wish = (pd.Series(0.0, index=codes) if wishes is None else
            wishes.reindex(codes).astype("float64").fillna(0.0).clip(-1, 1))
    wish_move = settings.feedback_step * wish.where(base > 0, 0.0)
    factor = 1.0 + (moves.sum(axis=1) if moves.shape[1] else 0.0) + wish_move
    norm = float((base * factor).sum())
    unrounded = total * base * factor / norm

    table = pd.DataFrame(index=codes)
    table.index.name = "kommunenummer"
    table["anmodet_sist"] = last_req
    table["vedtatt_sist"] = last_dec
    table["grunnlag_andel"] = base
    table["grunnlag"] = total * base
    for tilt in settings.tilts:
        table[f"tilt_{tilt.id}"] = total * base * moves[tilt.id] / norm
    table["tilbakemelding"] = total * base * wish_move / norm
    table["utjevning"] = total * base * (1.0 / norm - 1.0)
    table["urundet"] = unrounded
    # the pieces of the explanation from the latest request to the base (see explanation_table)
    table["_nytt_totaltall"] = total * parts["andel_anmodet_sist"] - last_req.fillna(0)
    table["_vedtak"] = total * parts["vedtak_trekk"]
    table["_eldre"] = total * parts["eldre_trekk"]
    table["_lift"] = total * (raw - parts["grunnlag_raa"])
    table["_null"] = np.where(zero & ~says_no, -total * raw, 0.0)
    table["_nei"] = np.where(says_no, -total * raw, 0.0)
    table["_fordelt"] = np.where(zero, 0.0, total * (base - raw))

    fixed = {e.kommunenummer: e for e in parse_exceptions(exceptions, codes)}
    m, amount = settings.minimum, settings.exception_amount
    reason = pd.Series("", index=codes, dtype="object")
    proposal = pd.Series(pd.NA, index=codes, dtype="Int64")
    low, high = amount / 2, (amount + m) / 2
    small_last = last_req.between(1, m - 1) & ~zero
    lands = unrounded.ge(low) & unrounded.lt(high) & ~zero
    for code in codes[small_last | lands]:
        if code in fixed:
            continue
        if small_last[code]:
            reason[code] = f"Anmodet {latest}: {format_int(int(last_req[code]))}, under minstetallet {m}"
        else:
            reason[code] = (f"Etter nøkkelen {format_decimal(unrounded[code], 1)}"
                            f", nærmere unntaket {amount} enn 0 eller minstetallet {m}")
        proposal[code] = amount
    if settings.apply_proposed_exceptions:
        for code in codes[proposal.notna()]:
            fixed[code] = ExceptionEntry(code, int(proposal[code]), "foreslått unntak brukt i etterprøvingen: " + reason[code])

    cap = None if caps is None else caps.reindex(codes).astype(float)
    if says_no.any():
        cap = (cap if cap is not None else pd.Series(np.nan, index=codes)).mask(says_no, 0.0)
    rest = codes[~codes.isin(list(fixed))]
    rest_total = total - sum(e.antall for e in fixed.values())
    if rest_total < 0:
        raise BosettingError(f"Unntakene fordeler {total - rest_total} personer, mer enn totaltallet {total}. "
                             "Fjern eller senk noen av unntakene.")
    if 0 < rest_total < m and fixed:
        raise BosettingError(f"Etter unntakene er {rest_total} personer igjen, færre enn minstetallet {m}, så ingen av de "
                             "andre kommunene kan få dem. Endre antallet i et av unntakene eller legg til et unntak.")
    if rest_total > 0 and not (unrounded.reindex(rest) > 0).any():
        raise BosettingError(f"Etter unntakene er {rest_total} personer igjen, men ingen av de andre kommunene har noe "
                             "grunnlag (alle har 0). Fjern et unntak eller legg inn en tilbakemelding om at en kommune vil bosette.")
    detailed = apportion_detailed(unrounded.reindex(rest), rest_total, minimum=m,
                                  maximum=None if cap is None else cap.reindex(rest), method=settings.method)
    final = pd.concat([detailed.allocation, pd.Series({c: e.antall for c, e in fixed.items()}, dtype="int64")])
    table["anbefaling"] = final.reindex(codes).astype("int64")
    status = detailed.table["status"].reindex(codes).astype("object")
    why = pd.Series("", index=codes, dtype="object")
    for code, e in fixed.items():
        status[code] = "unntak"
        why[code] = e.begrunnelse
    status[zero & ~says_no] = "null videreført"
    why[zero & asked_zero & ~says_no] = f"Anmodet 0 i {latest}; ingen tilbakemelding om at kommunen vil bosette"
    why[zero & declined & ~asked_zero & ~says_no] = f"Vedtok 0 i {latest}; ingen tilbakemelding om at kommunen vil bosette"
    status[says_no] = "takket nei"
    why[says_no] = "Kommunen har svart at den ikke vil bosette"
    status[lifted] = status[lifted] + " (løftet fra 0)"
    why[lifted] = f"Anmodet eller vedtatt 0 i {latest}, men kommunen har svart at den vil bosette"
    table["null_viderefort"] = zero & ~says_no
    table["unntak_forslag"] = proposal
    table["unntak_forslag_begrunnelse"] = reason.where(proposal.notna(), "")
    table["status"] = status.astype("str")
    table["aarsak"] = why.astype("str")
    # Where a stated capacity binds, the cut is its own part; a fixed exception's difference is its own part too.
    capped_at = (pd.Series(np.inf, index=codes) if cap is None else cap.fillna(np.inf))
    table["_tak"] = np.where(~codes.isin(list(fixed)) & (capped_at < unrounded) & ~zero,
                             np.minimum(capped_at, unrounded) - unrounded, 0.0)
    is_fixed = pd.Series(codes.isin(list(fixed)), index=codes)
    table["_unntak"] = np.where(is_fixed, table["anbefaling"] - table["urundet"], 0.0)
    table["avrunding"] = np.where(is_fixed, 0.0, table["anbefaling"] - table["urundet"] - table["_tak"])
    table.attrs.update({"siste_aar": latest, "totalt": int(total), "tilts": [t.id for t in settings.tilts]})
    if int(table["anbefaling"].sum()) != int(total):  # apportion guarantees this; a guard against a silent wrong answer
        raise BosettingError(f"Summen {int(table['anbefaling'].sum())} er ikke totaltallet {total}.")
    return table


# ---------------------------------------------------------------------------------------------------------------
# Explanations that add up
# ---------------------------------------------------------------------------------------------------------------


def explanation_parts(result: int, parts: Mapping[str, float]) -> dict[str, int]:
    """Round ``parts`` (which sum to ``result`` up to float noise) to whole numbers that sum to ``result`` exactly.

    Largest remainder: every part is floored and the missing units go to the largest fractional parts (ties to the
    earlier part). Whole-number parts stay as they are.
    """
    names = list(parts)
    values = np.array([float(parts[n]) for n in names])
    if not np.isfinite(values).all():
        raise ValueError("explanation parts must be finite numbers.")
    if abs(values.sum() - result) > 1e-6 * max(1.0, abs(result)):
        raise ValueError(f"explanation parts sum to {values.sum():.6f}, not to the result {result}.")
    rounded = np.round(values, 9)  # float noise must not turn 3.0000000001 into a remainder
    floors = np.floor(rounded)
    short = int(np.rint(result - floors.sum()))
    order = sorted(range(len(names)), key=lambda i: (-(rounded[i] - floors[i]), i))
    for i in order[:short]:
        floors[i] += 1
    return {n: int(v) for n, v in zip(names, floors)}


def explanation_table(table: pd.DataFrame, tilts: Iterable[Tilt] = (),
                      extra: Mapping[str, tuple[str, pd.Series]] | None = None) -> pd.DataFrame:
    """Per municipality the whole-number parts from the latest request to the recommendation, summing exactly to it.

    Columns: one per part (the anchor table's column without a leading underscore, see :func:`part_labels`) and
    ``tekst``: "Anmodet 2024: 80; nytt totaltall for fylket −50; …; resultat 33". Parts that round to 0 are left out
    of the text (the latest request is always shown). ``extra``: whole-number parts after the model, by id, as
    (label, Series by kommunenummer), e.g. the county's own adjustments; the result is then the model's number plus them.
    """
    latest = table.attrs.get("siste_aar", "")
    labels = part_labels(latest, tilts)
    extra = dict(extra or {})
    rows, texts = [], []
    for code, row in table.iterrows():
        parts = {"anmodet": 0.0 if pd.isna(row["anmodet_sist"]) else float(row["anmodet_sist"])}
        parts.update({k: float(row[k]) for k in labels if k != "anmodet" and k in table.columns})
        whole = explanation_parts(int(row["anbefaling"]), parts)
        result = int(row["anbefaling"])
        for key, (_, values) in extra.items():
            whole[key] = int(values.get(code, 0))
            result += whole[key]
        rows.append(whole)
        text = [f"{labels['anmodet']}: {format_int(whole['anmodet'])}"]
        text += [f"{labels[k] if k in labels else extra[k][0]} {_signed(v)}" for k, v in whole.items()
                 if k != "anmodet" and v != 0]
        texts.append("; ".join(text) + f"; resultat {format_int(result)}")
    out = pd.DataFrame(rows, index=table.index).fillna(0).astype("int64")
    out.columns = [_part_id(c) for c in out.columns]
    out["tekst"] = texts
    return out


def part_labels(latest: object, tilts: Iterable[Tilt] = ()) -> dict[str, str]:
    """The explanation's parts in order, by the anchor table's column, with their Norwegian labels."""
    labels = {"anmodet": f"Anmodet {latest}", "_nytt_totaltall": "nytt totaltall for fylket",
              "_vedtak": "tidligere vedtak", "_eldre": "eldre år", "_lift": "løftet fra 0 etter tilbakemelding",
              "_null": "null videreført", "_nei": "takket nei", "_fordelt": "andres nuller fordelt"}
    for tilt in tilts:
        labels[f"tilt_{tilt.id}"] = tilt.navn.lower()
    labels["tilbakemelding"] = "ønsker flere eller færre enn før"
    labels["utjevning"] = "andre kommuners justeringer"
    labels["_tak"] = "oppgitt kapasitet (tak)"
    labels["_unntak"] = "unntak fra minstetallet"
    labels["avrunding"] = "avrunding og minstetall"
    return labels


def _part_id(column: str) -> str:
    """A part's column in the explanation table: the anchor table's column without its leading underscore."""
    return column.lstrip("_")


def _signed(n: int) -> str:
    return ("+" if n > 0 else "−") + format_int(abs(n))


def describe_settings(settings: AnchorSettings) -> str:
    """A one-line description of the settings (for tables and logs)."""
    tilts = ", ".join(f"{t.id}{'+' if t.direction > 0 else '−'}{t.strength:g}/{t.kind}" for t in settings.tilts) or "ingen"
    return (f"anmodet {settings.request_weight:g}, eldre år {settings.recency:g}, tak ±{settings.tilt_bound:g}, "
            f"tilts: {tilts}, null: {settings.zero_rule}, unntak {settings.exception_amount}"
            + (" (brukt)" if settings.apply_proposed_exceptions else ""))


# The default chosen by the walk-forward backtest (docs/backtest_research.md, tools/backtest_explore.py): half request,
# half decision; an older year counts half as much per year back (2022 is 20 % of the base for 2025); one small tilt
# (±5 %, by rank within the county) down for municipalities that settled many refugees per inhabitant in the latest
# public calendar year and up for those that settled few: it spreads the settlement and eases the services that took
# most lately. (It is not the immigrant share: large central municipalities often settled few per inhabitant.)
# Against continuity: national MAE −8 % (2024) and −14 % (2025), Spearman ρ higher in both years, Trøndelag 2025 6.5
# against 8.4 persons.
DEFAULT_TILTS: tuple[Tilt, ...] = (
    Tilt("spredning", "Bosatte flyktninger per innbygger sist", "bosatte_per_1000_sist", 0.05, "rank", -1,
         "Bosettingen skal være styrt og spredt"),
)
DEFAULT_SETTINGS = AnchorSettings(request_weight=0.5, recency=0.5, tilt_bound=0.15, tilts=DEFAULT_TILTS,
                                  zero_rule="asked_zero", exception_amount=5, apply_proposed_exceptions=False)


def settings_from_params(params: Params, available: Iterable[str] | None = None) -> AnchorSettings:
    """The anchor settings of a run's parameters (``modell``, ``minstetall``, ``avrunding``, ``tilbakemelding.steg``).

    ``available``: the indicator ids that have data; a criterion whose indicator has none is left out (it is neutral,
    and the report lists it as not covered).
    """
    keep = None if available is None else set(available)
    tilts = tuple(Tilt(c.id, c.navn, c.indikator, c.styrke, TILT_KIND_NAMES[c.maate], TILT_DIRECTIONS[c.retning], c.tjener)
                  for c in params.kriterier if keep is None or c.indikator in keep)
    m = params.modell
    return AnchorSettings(request_weight=m.anmodet_vekt, recency=m.eldre_aar, tilt_bound=m.samlet_tak, tilts=tilts,
                          zero_rule=ZERO_RULE_NAMES[m.nullregel], exception_amount=m.unntak_forslag,
                          minimum=params.minstetall, method=params.avrunding, feedback_step=params.tilbakemelding_steg)
