"""The rules around the model's numbers: 0 or at least the minimum, exceptions, caps from the feedback round,
the county's adjustments and the unaccompanied minors (the explanation line is the anchor model's, model/anchor.py).

Pure functions of DataFrames and parameters; no files and no run context.
"""

from __future__ import annotations


import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.errors import AllocationError
from bosetting_lib.formatting import format_int, format_percent
from bosetting_lib.model.allocation import apportion
from bosetting_lib.model.indicators import Inputs


def caps_from_feedback(feedback: pd.DataFrame, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """(caps, minor capacities) on ``index`` from the feedback table: the stated maximum, 0 when declining, NaN = no cap."""
    fb = feedback.set_index("kommunenummer").reindex(index)
    caps = fb["kapasitet_maks"].astype("Float64")
    declines = fb["avslar"].astype("boolean").fillna(False)
    caps = caps.mask(declines, 0)
    return caps.astype("float64"), fb["em_kapasitet"].astype("float64")


def apply_adjustments(model: pd.Series, key: pd.Series, adjustments: pd.DataFrame, total: int, *, minimum: int,
                      maximum: pd.Series | None, method: str, exceptions: list[str]) -> pd.Series:
    """Fix the adjusted municipalities at their new numbers and re-apportion the rest of the total over the others."""
    if adjustments.empty:
        return model.copy()
    fixed = {}
    for row in adjustments.itertuples(index=False):
        fixed[row.kommunenummer] = int(row.ny_verdi) if row.ny_verdi else int(model[row.kommunenummer]) + int(row.endring)
    bad = {code: n for code, n in fixed.items() if n < 0 or (0 < n < minimum and code not in exceptions)}
    if bad:
        raise AllocationError("Justeringen gir et tall som bryter regelen om 0 eller minst "
                              f"{minimum}: " + ", ".join(f"{c}: {n}" for c, n in bad.items()))
    rest_total = total - sum(fixed.values())
    if rest_total < 0:
        raise AllocationError(f"Justeringene fordeler {sum(fixed.values())} personer, mer enn totaltallet {total}; "
                              "tallene går ikke opp.")
    others = key.index.difference(list(fixed), sort=False)
    others = key.index[key.index.isin(others)]
    rest = apportion(key.loc[others], rest_total, minimum=minimum,
                     maximum=None if maximum is None else maximum.reindex(others), method=method,
                     exceptions=[e for e in exceptions if e in others])
    return pd.concat([rest, pd.Series(fixed, dtype="int64")]).reindex(key.index).astype("int64")


def minors_total(params: Params, inputs: Inputs) -> tuple[int, str]:
    """The unaccompanied-minors total: from the parameters, or estimated from the county's recent share."""
    if params.enslige_mindreaarige is not None:
        return params.enslige_mindreaarige, "fra parameterfilen"
    settled = inputs.settled_refugees
    if settled is None:
        return 0, "ikke oppgitt, og ingen historikk for enslige mindreårige: ingen fordeling"
    full = settled.loc[settled["aar"] < params.aar - 2]  # the latest year is partial
    wide = full.pivot_table(index=["kommunenummer", "aar"], columns="variabel", values="verdi", aggfunc="sum")
    # Municipality-years whose count of minors is suppressed leave both the numerator and the denominator, so the
    # share is not biased low by the hidden 1-4s.
    known = wide.dropna(subset=["bosatte_em", "bosatte_flyktninger"])
    if known.empty or known["bosatte_flyktninger"].sum() == 0:
        return 0, "ikke oppgitt, og ingen historikk for enslige mindreårige: ingen fordeling"
    share = float(known["bosatte_em"].sum() / known["bosatte_flyktninger"].sum())
    years = sorted(int(y) for y in known.index.get_level_values("aar").unique())
    year_text = " og ".join([", ".join(map(str, years[:-1])), str(years[-1])]) if len(years) > 1 else str(years[0])
    estimate = int(round(share * params.totalt))
    hidden = int(len(wide) - len(known))
    hidden_text = f"; {format_int(hidden)} kommuneår med skjulte tall er holdt utenfor" if hidden else ""
    return estimate, (f"anslag: {format_percent(share, 1)} av de bosatte i fylket var enslige mindreårige i {year_text}, "
                      f"ganget med totaltallet{hidden_text}")


def minors_able(inputs: Inputs, index: pd.Index, *, feedback_steers: bool) -> pd.Series:
    """Municipalities able to take minors: they settled minors recently, or (when feedback steers) say so."""
    able = pd.Series(False, index=index)
    settled = inputs.settled_refugees
    if settled is not None:
        em = settled.loc[settled["variabel"] == "bosatte_em"]
        # A suppressed count (":") means a few minors were settled, so the municipality has done it.
        took = em.loc[(em["verdi"].fillna(0) > 0) | em["status"].eq(":").fillna(False).astype(bool), "kommunenummer"]
        able[able.index.isin(took)] = True
    if feedback_steers and inputs.feedback is not None:
        says = inputs.feedback.set_index("kommunenummer")["em_kan_bosette"].astype("boolean").reindex(index)
        able = able.mask(says.eq(True).fillna(False).astype(bool), True)
        able = able.mask(says.eq(False).fillna(False).astype(bool), False)
    return able
