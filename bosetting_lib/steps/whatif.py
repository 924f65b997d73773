"""What-if in the notebook: other weights, another total or minimum, a fixed number or an exception for a
municipality give a new allocation and its difference from the official recommendation at once.

The what-if starts from the official result *including* the county's adjustments file, and follows the same model
and rules as step 03 (:func:`~bosetting_lib.steps.allocate.model_allocation`, then the adjustments). It uses the key
that step 02 stored, so it takes a few milliseconds and writes nothing. Whatever cannot be done (an unknown
municipality, a number that breaks the rules, weights that are all zero) stops with a :class:`WhatIfError` in
Norwegian; the sum is always the total.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.errors import AllocationError, BosettingError
from bosetting_lib.formatting import format_int, format_percent
from bosetting_lib.model.key import weighted_key
from bosetting_lib.model.rules import Rules, apply_adjustments
from bosetting_lib.sources.names import MunicipalityLookup
from bosetting_lib.steps.allocate import capacity_caps, model_allocation, read_adjustments
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import KeyOnDisk, read_key, read_table

# How close the weights must come to summing to 1 to count as unchanged by the normalisation.
_WEIGHT_TOLERANCE = 1e-9
_NAME_HINT = ("Skriv kommunenavnet slik det står i kommunelisten (for eksempel «Trondheim») eller kommunenummeret "
              "med fire sifre (for eksempel 5001 eller «5001»).")


class WhatIfError(BosettingError):
    """A what-if that cannot be carried out; the message says what to change."""


@dataclass(frozen=True)
class WhatIfBase:
    """What every what-if starts from, read once: the stored key, the official result and the county's adjustments."""

    params: Params
    stored: KeyOnDisk
    official: pd.DataFrame  # index kommunenummer: kommune, anbefaling (with the county's adjustments)
    caps: pd.Series | None
    county_adjustments: pd.DataFrame
    lookup: MunicipalityLookup

    @property
    def criterion_names(self) -> dict[str, str]:
        names = {c.id: c.navn for c in self.params.kriterier}
        return {c: names.get(c, c) for c in self.stored.weights}

    def municipality(self, code: str) -> str:
        """'5001 Trondheim'."""
        return f"{code} {self.lookup.name(code)}"


@dataclass(frozen=True)
class WhatIf:
    """A what-if's result: the new numbers beside the official ones, the weights used and what was done."""

    table: pd.DataFrame  # index kommunenummer: kommune, anbefaling, hva_om, forskjell, merknad; biggest change first
    weights: pd.DataFrame  # kriterium, navn, vekt_anbefaling, vekt_hva_om (the effective, normalised weights)
    total: int
    minimum: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def effective_weights(self) -> dict[str, float]:
        return dict(zip(self.weights["kriterium"], self.weights["vekt_hva_om"]))

    @property
    def changed(self) -> pd.DataFrame:
        """Only the municipalities whose number changed."""
        return self.table.loc[self.table["forskjell"] != 0]


def prepare_what_if(run: RunContext) -> WhatIfBase:
    """Read what the what-if needs once (the widget calls :func:`what_if` on this for every change)."""
    stored = read_key(run)
    official = read_table(run.processed_dir, "anbefaling").set_index("kommunenummer")[["kommune", "anbefaling"]]
    caps, _ = capacity_caps(run, stored.key.index)
    municipalities = read_table(run.processed_dir, "kommuner")
    return WhatIfBase(run.params, stored, official, caps, read_adjustments(run), MunicipalityLookup(municipalities))


def what_if(
    run: RunContext | WhatIfBase,
    *,
    vekter: Mapping[str, float] | None = None,
    totalt: int | None = None,
    minstetall: int | None = None,
    justeringer: Mapping[object, int] | None = None,
    unntak: Mapping[object, str] | None = None,
) -> WhatIf:
    """The allocation with the changes asked for, beside the official recommendation.

    - ``vekter``: new weights for some criteria (by id or name, e.g. ``{"befolkning": 0.4}``); the others keep
      theirs, and all are scaled to sum to 1. The weights used are in the result's ``weights`` table.
    - ``totalt`` and ``minstetall``: another county total or minimum.
    - ``justeringer``: fixed numbers, ``{kommune: antall}``, with the municipality by name, number or code string
      (``"Trondheim"``, ``5001``, ``"5001"``). They come on top of the county's adjustments file (and replace a row
      there for the same municipality); the rest of the total is re-apportioned under the rules.
    - ``unntak``: municipalities allowed below the minimum, ``{kommune: begrunnelse}``. With a fixed number below the
      minimum in ``justeringer`` this tries an exception; alone it lets the rounding give a number below it.

    Raises :class:`WhatIfError` for anything that cannot be done, never a silent loss of persons.
    """
    base = run if isinstance(run, WhatIfBase) else prepare_what_if(run)
    params = base.params
    total = _whole(params.totalt if totalt is None else totalt, "totaltallet")
    minimum = _whole(params.minstetall if minstetall is None else minstetall, "minstetallet")
    weights, notes = _weights(base, vekter)
    fixed = {code: _whole(n, f"antallet for {base.municipality(code)}")
             for code, n in _by_code(base, justeringer or {}, "justeringer").items()}
    reasons = _by_code(base, unntak or {}, "unntak")
    blank = [base.municipality(c) for c, why in reasons.items() if not str(why or "").strip()]
    if blank:
        raise WhatIfError(f"Et unntak fra minstetallet skal begrunnes; skriv en begrunnelse for {', '.join(blank)}, "
                          "for eksempel unntak={\"Tydal\": \"lang reisevei til nærmeste tjenester\"}.")
    below = [f"{base.municipality(c)}: {format_int(n)}" for c, n in fixed.items()
             if 0 < n < minimum and c not in reasons and c not in params.unntak]
    if below:
        raise WhatIfError(f"Et tall under minstetallet ({format_int(minimum)}) er et unntak og må begrunnes: "
                          f"{'; '.join(below)}. Sett 0 eller minst {format_int(minimum)}, eller legg kommunen i unntak "
                          "med en begrunnelse, for eksempel unntak={\"Tydal\": \"lang reisevei\"}.")

    key = base.stored.key if weights == base.stored.weights else weighted_key(base.stored.shares, weights)
    exceptions = tuple(dict.fromkeys([*params.unntak, *reasons]))
    rules = Rules(minimum, params.avrunding, exceptions, base.caps)
    county = base.county_adjustments
    kept = county.loc[~county["kommunenummer"].isin(list(fixed))]
    trial = pd.DataFrame({"kommunenummer": list(fixed), "ny_verdi": [str(n) for n in fixed.values()], "endring": "",
                          "begrunnelse": "hva om", "besluttet_av": "analytiker"})
    adjustments = pd.concat([kept, trial], ignore_index=True) if fixed else kept
    try:
        model = model_allocation(key, total, rules).allocation
        numbers = apply_adjustments(model, key, adjustments, total, **rules.kwargs())
    except AllocationError as exc:
        raise WhatIfError(f"Hva om-fordelingen går ikke etter reglene: {exc}") from exc
    if int(numbers.sum()) != total or numbers.isna().any():
        raise WhatIfError(f"Hva om-fordelingen gir {format_int(numbers.sum())} personer, ikke totaltallet "
                          f"{format_int(total)}: de faste tallene lar seg ikke forene med reglene for resten. "
                          "Endre de faste tallene eller totaltallet.")
    notes += _cap_notes(base, fixed)

    table = base.official.copy()
    table["hva_om"] = numbers.reindex(table.index).astype("int64")
    table["anbefaling"] = table["anbefaling"].astype("int64")
    table["forskjell"] = table["hva_om"] - table["anbefaling"]
    table["merknad"] = _remarks(base, table.index, fixed, reasons, kept)
    table = table.sort_values("forskjell", key=lambda s: s.abs(), ascending=False, kind="stable")
    weight_table = pd.DataFrame({"kriterium": list(weights), "navn": [base.criterion_names[c] for c in weights],
                                 "vekt_anbefaling": [base.stored.weights[c] for c in weights],
                                 "vekt_hva_om": list(weights.values())})
    return WhatIf(table, weight_table, total, minimum, tuple(notes))


def _whole(value: object, what: str) -> int:
    """A whole number ≥ 0 (an int, or a float or text holding one), or a Norwegian error naming ``what``."""
    number = None
    if not isinstance(value, (bool, np.bool_)):
        if isinstance(value, (int, np.integer)):
            number = int(value)
        elif isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            number = int(value)
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
    if number is None or number < 0:
        raise WhatIfError(f"{what[0].upper()}{what[1:]} må være et helt tall ≥ 0, ikke «{value}».")
    return number


def _by_code(base: WhatIfBase, items: Mapping[object, object], what: str) -> dict[str, object]:
    """``items`` keyed by municipality code, through the register's name matcher; unknown or repeated ones refused."""
    found: dict[str, object] = {}
    given: dict[str, object] = {}
    unknown, twice = [], []
    for label, value in items.items():
        code = None if isinstance(label, (bool, np.bool_)) else base.lookup.find(label)
        if code is None:
            unknown.append(f"«{label}»")
        elif code in found:
            twice.append(f"«{given[code]}» og «{label}» er begge {base.municipality(code)}")
        else:
            found[code], given[code] = value, label
    if unknown:
        raise WhatIfError(f"Ukjent kommune i {what}: {', '.join(unknown)}. Ingen av fylkets kommuner heter eller har "
                          f"nummeret det. {_NAME_HINT}")
    if twice:
        raise WhatIfError(f"Samme kommune står to ganger i {what}: {'; '.join(twice)}. Oppgi hver kommune én gang.")
    return found


def _weights(base: WhatIfBase, changes: Mapping[str, float] | None) -> tuple[dict[str, float], list[str]]:
    """The effective weights: the stored ones with the changes, scaled to sum to 1; and a note when scaled."""
    weights = dict(base.stored.weights)
    if not changes:
        return weights, []
    by_name = {name.casefold(): cid for cid, name in base.criterion_names.items()}
    left_out = {c.id: c.navn for c in base.params.kriterier if c.id not in weights}
    unknown = []
    for label, value in changes.items():
        cid = label if label in weights else by_name.get(str(label).casefold())
        if cid is None:
            if label in left_out or str(label).casefold() in {n.casefold() for n in left_out.values()}:
                raise WhatIfError(f"Kriteriet «{label}» er utelatt i år fordi indikatoren mangler (se notatbok 02), "
                                  "så det kan ikke få vekt i hva om.")
            unknown.append(f"«{label}»")
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value) or value < 0:
            raise WhatIfError(f"Vekten for «{base.criterion_names[cid]}» må være et tall ≥ 0, ikke «{value}».")
        weights[cid] = float(value)
    if unknown:
        known = ", ".join(f"{cid} ({name})" for cid, name in base.criterion_names.items())
        raise WhatIfError(f"Ukjent kriterium i vekter: {', '.join(unknown)}. Kriteriene i nøkkelen er {known}.")
    total = sum(weights.values())
    if total <= 0:
        raise WhatIfError("Alle vektene er 0, så nøkkelen gir ingen fordeling. Gi minst ett kriterium en vekt over 0.")
    notes = []
    if abs(total - 1.0) > _WEIGHT_TOLERANCE:
        weights = {c: w / total for c, w in weights.items()}
        notes.append(f"Vektene summerte til {format_percent(total, 1)} og er skalert så de summerer til 100 %: "
                     + ", ".join(f"{base.criterion_names[c].lower()} {format_percent(w, 1)}" for c, w in weights.items())
                     + ".")
    return weights, notes


def _cap_notes(base: WhatIfBase, fixed: dict[str, int]) -> list[str]:
    """Fixed numbers above what a municipality said it can take in the feedback round."""
    if base.caps is None:
        return []
    return [f"{base.municipality(c)}: {format_int(n)} er over kapasiteten kommunen oppga ({format_int(base.caps[c])})."
            for c, n in fixed.items() if not pd.isna(base.caps.get(c)) and n > base.caps[c]]


def _remarks(base: WhatIfBase, index: pd.Index, fixed: dict[str, int], reasons: dict[str, object],
             kept: pd.DataFrame) -> pd.Series:
    """Per municipality: fixed in the what-if, excepted, or adjusted by the county (and whether the what-if replaced it)."""
    county = base.county_adjustments.set_index("kommunenummer")["begrunnelse"]
    kept_codes = set(kept["kommunenummer"])
    remarks = {}
    for code in index:
        parts = []
        if code in fixed:
            parts.append("fast tall i hva om")
            if code in county.index:
                parts.append(f"erstatter fylkets justering ({county[code]})")
        elif code in kept_codes:
            parts.append(f"fylkets justering ({county[code]})")
        if code in reasons:
            parts.append(f"unntak fra minstetallet: {reasons[code]}")
        remarks[code] = "; ".join(parts)
    return pd.Series(remarks, dtype="str").reindex(index)
