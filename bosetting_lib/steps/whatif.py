"""What-if in the notebook: other model settings (the request's weight in the base, how much older years count, each
criterion's strength), another total or minimum, a fixed number or an exception for a municipality give a new
allocation and its difference from the official recommendation at once.

The what-if starts from the official result *including* the county's adjustments file, and runs the same anchor
model and rules as step 03 (:func:`~bosetting_lib.steps.allocate.run_model`, then
:func:`~bosetting_lib.steps.allocate.adjusted`) on the inputs read once, so it takes a fraction of a second and
writes nothing. Whatever cannot be done (an unknown municipality or criterion, a setting out of range, a number that
breaks the rules) stops with a :class:`WhatIfError` in Norwegian; the sum is always the total.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.errors import AllocationError, BosettingError
from bosetting_lib.formatting import format_decimal, format_int, format_percent
from bosetting_lib.model.anchor import AnchorSettings
from bosetting_lib.sources.names import MunicipalityLookup
from bosetting_lib.steps.allocate import ModelInputs, adjusted, model_inputs, read_adjustments, run_model
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import read_table

_NAME_HINT = ("Skriv kommunenavnet slik det står i kommunelisten (for eksempel «Trondheim») eller kommunenummeret "
              "med fire sifre (for eksempel 5001 eller «5001»).")
# The ranges the parameter file allows (config/params.py): a what-if cannot try what a run would refuse.
STRENGTH_MAX = 0.5
SETTING_NAMES = {"anmodet_vekt": "Vekt på siste anmodning i grunnlaget", "eldre_aar": "Vekt på eldre år"}


class WhatIfError(BosettingError):
    """A what-if that cannot be carried out; the message says what to change."""


@dataclass(frozen=True)
class WhatIfBase:
    """What every what-if starts from, read once: the model's inputs, the official result and the county's adjustments."""

    params: Params
    inputs: ModelInputs
    official: pd.DataFrame  # index kommunenummer: kommune, anbefaling (with the county's adjustments)
    county_adjustments: pd.DataFrame
    lookup: MunicipalityLookup

    @property
    def settings(self) -> AnchorSettings:
        return self.inputs.settings

    @property
    def caps(self) -> pd.Series | None:
        return self.inputs.caps_with_declines()

    @property
    def criterion_names(self) -> dict[str, str]:
        """The criteria the model uses this year (id → name), in the parameter file's order."""
        return {t.id: t.navn for t in self.settings.tilts}

    @property
    def strengths(self) -> dict[str, float]:
        return {t.id: t.strength for t in self.settings.tilts}

    def municipality(self, code: str) -> str:
        """'5001 Trondheim'."""
        return f"{code} {self.lookup.name(code)}"


@dataclass(frozen=True)
class WhatIf:
    """A what-if's result: the new numbers beside the official ones, the model settings used and what was done."""

    table: pd.DataFrame  # index kommunenummer: kommune, anbefaling, hva_om, forskjell, merknad; biggest change first
    settings: pd.DataFrame  # innstilling, navn, anbefaling, hva_om (the request weight, recency and each strength)
    total: int
    minimum: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def effective_settings(self) -> dict[str, float]:
        return dict(zip(self.settings["innstilling"], self.settings["hva_om"]))

    @property
    def changed(self) -> pd.DataFrame:
        """Only the municipalities whose number changed."""
        return self.table.loc[self.table["forskjell"] != 0]


def prepare_what_if(run: RunContext) -> WhatIfBase:
    """Read what the what-if needs once (the widget calls :func:`what_if` on this for every change)."""
    official = read_table(run.processed_dir, "anbefaling").set_index("kommunenummer")[["kommune", "anbefaling"]]
    municipalities = read_table(run.processed_dir, "kommuner")
    return WhatIfBase(run.params, model_inputs(run), official, read_adjustments(run), MunicipalityLookup(municipalities))


def what_if(
    run: RunContext | WhatIfBase,
    *,
    styrker: Mapping[str, float] | None = None,
    anmodet_vekt: float | None = None,
    eldre_aar: float | None = None,
    totalt: int | None = None,
    minstetall: int | None = None,
    justeringer: Mapping[object, int] | None = None,
    unntak: Mapping[object, str] | None = None,
) -> WhatIf:
    """The allocation with the changes asked for, beside the official recommendation.

    - ``styrker``: new strengths for some criteria (by id or name, e.g. ``{"spredning": 0.1}``: the largest move the
      criterion alone can make, from 0 to 0,5); the others keep theirs.
    - ``anmodet_vekt``: how much of the base is last year's request (the rest is the decision), from 0 to 1.
    - ``eldre_aar``: how much an older year counts per year back (0: only the latest year, 1: all years alike).
    - ``totalt`` and ``minstetall``: another county total or minimum.
    - ``justeringer``: fixed numbers, ``{kommune: antall}``, with the municipality by name, number or code string
      (``"Trondheim"``, ``5001``, ``"5001"``). They come on top of the county's adjustments file (and replace a row
      there for the same municipality); the rest of the total is re-apportioned under the rules.
    - ``unntak``: municipalities allowed a fixed number below the minimum, ``{kommune: begrunnelse}``, together with
      that number in ``justeringer``.

    Raises :class:`WhatIfError` for anything that cannot be done, never a silent loss of persons.
    """
    base = run if isinstance(run, WhatIfBase) else prepare_what_if(run)
    params = base.params
    total = _whole(params.totalt if totalt is None else totalt, "totaltallet")
    minimum = _whole(params.minstetall if minstetall is None else minstetall, "minstetallet")
    settings, notes = _settings(base, styrker, anmodet_vekt, eldre_aar, minimum)
    fixed = {code: _whole(n, f"antallet for {base.municipality(code)}")
             for code, n in _by_code(base, justeringer or {}, "justeringer").items()}
    reasons = _by_code(base, unntak or {}, "unntak")
    blank = [base.municipality(c) for c, why in reasons.items() if not str(why or "").strip()]
    if blank:
        raise WhatIfError(f"Et unntak fra minstetallet skal begrunnes; skriv en begrunnelse for {', '.join(blank)}, "
                          "for eksempel unntak={\"Tydal\": \"lang reisevei til nærmeste tjenester\"}.")
    alone = [base.municipality(c) for c in reasons if c not in fixed]
    if alone:
        raise WhatIfError(f"Et unntak gir kommunen et fast tall under minstetallet; sett tallet i justeringer også for "
                          f"{', '.join(alone)}, for eksempel justeringer={{\"Tydal\": 5}}, unntak={{\"Tydal\": \"lang reisevei\"}}.")
    excepted = set(params.unntak_koder)
    below = [f"{base.municipality(c)}: {format_int(n)}" for c, n in fixed.items()
             if 0 < n < minimum and c not in reasons and c not in excepted]
    if below:
        raise WhatIfError(f"Et tall under minstetallet ({format_int(minimum)}) er et unntak og må begrunnes: "
                          f"{'; '.join(below)}. Sett 0 eller minst {format_int(minimum)}, eller legg kommunen i unntak "
                          "med en begrunnelse, for eksempel unntak={\"Tydal\": \"lang reisevei\"}.")

    inputs = replace(base.inputs, settings=settings)
    county = base.county_adjustments
    kept = county.loc[~county["kommunenummer"].isin(list(fixed))]
    trial = pd.DataFrame({"kommunenummer": list(fixed), "ny_verdi": [str(n) for n in fixed.values()], "endring": "",
                          "begrunnelse": "hva om", "besluttet_av": "analytiker"})
    adjustments = pd.concat([kept, trial], ignore_index=True) if fixed else kept
    try:
        model = run_model(inputs, total)
        numbers = adjusted(model, inputs, adjustments, total, also_excepted=tuple(reasons))
    except (AllocationError, BosettingError) as exc:
        raise WhatIfError(f"Hva om-fordelingen går ikke etter reglene: {exc}") from exc
    if numbers.isna().any() or int(numbers.sum()) != total:
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
    return WhatIf(table, _settings_table(base.settings, settings, base.criterion_names), total, minimum, tuple(notes))


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


def _fraction(value: object, what: str, high: float) -> float:
    """A number from 0 to ``high``, or a Norwegian error naming ``what``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or not 0 <= value <= high:
        raise WhatIfError(f"{what} må være et tall fra 0 til {format_decimal(high, 1)}, ikke «{value}».")
    return float(value)


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


def _settings(base: WhatIfBase, strengths: Mapping[str, float] | None, request_weight: object, recency: object,
              minimum: int) -> tuple[AnchorSettings, list[str]]:
    """The model's settings with the changes asked for (criteria by id or name), checked against the ranges the
    parameter file allows; and notes on what the change means."""
    settings, notes = base.settings, []
    if strengths:
        names = base.criterion_names
        by_name = {name.casefold(): cid for cid, name in names.items()}
        left_out = {c.id: c.navn for c in base.params.kriterier if c.id not in names}
        new, unknown = dict(base.strengths), []
        for label, value in strengths.items():
            cid = label if label in names else by_name.get(str(label).casefold())
            if cid is None:
                if label in left_out or str(label).casefold() in {n.casefold() for n in left_out.values()}:
                    raise WhatIfError(f"Kriteriet «{label}» er utelatt i år fordi indikatoren mangler (se notatbok 02), "
                                      "så det kan ikke få styrke i hva om.")
                unknown.append(f"«{label}»")
                continue
            new[cid] = _fraction(value, f"Styrken for «{names[cid]}»", STRENGTH_MAX)
        if unknown:
            known = ", ".join(f"{cid} ({name})" for cid, name in names.items()) or "ingen"
            raise WhatIfError(f"Ukjent kriterium i styrker: {', '.join(unknown)}. Kriteriene i modellen er {known}.")
        settings = replace(settings, tilts=tuple(replace(t, strength=new[t.id]) for t in settings.tilts))
        if settings.tilts and all(t.strength == 0 for t in settings.tilts):
            notes.append("Alle kriteriene har styrke 0: tallene følger grunnlaget fra anmodning og vedtak alene.")
    if request_weight is not None:
        settings = replace(settings, request_weight=_fraction(request_weight, SETTING_NAMES["anmodet_vekt"], 1.0))
    if recency is not None:
        settings = replace(settings, recency=_fraction(recency, SETTING_NAMES["eldre_aar"], 1.0))
    if minimum != settings.minimum:
        if minimum > 1 and not 0 < settings.exception_amount < minimum:
            raise WhatIfError(f"Minstetallet må være over forslaget til unntak ({format_int(settings.exception_amount)},"
                              f" modell.unntak_forslag), ikke {format_int(minimum)}.")
        settings = replace(settings, minimum=minimum)
    return settings, notes


def _settings_table(official: AnchorSettings, used: AnchorSettings, names: dict[str, str]) -> pd.DataFrame:
    """One row per setting the what-if can change: the official value and the one used."""
    rows = [{"innstilling": "anmodet_vekt", "navn": SETTING_NAMES["anmodet_vekt"], "anbefaling": official.request_weight,
             "hva_om": used.request_weight},
            {"innstilling": "eldre_aar", "navn": SETTING_NAMES["eldre_aar"], "anbefaling": official.recency,
             "hva_om": used.recency}]
    rows += [{"innstilling": a.id, "navn": f"Styrke: {names[a.id]}", "anbefaling": a.strength, "hva_om": b.strength}
             for a, b in zip(official.tilts, used.tilts)]
    return pd.DataFrame(rows, columns=["innstilling", "navn", "anbefaling", "hva_om"])


def describe_change(result: WhatIf) -> str:
    """The settings that differ from the recommendation's, in words (or that none do)."""
    moved = result.settings.loc[result.settings["anbefaling"] != result.settings["hva_om"]]
    if moved.empty:
        return "Modellens innstillinger er som i anbefalingen."
    return "Endret: " + "; ".join(f"{r.navn.lower()} {format_percent(r.anbefaling, 0)} → {format_percent(r.hva_om, 0)}"
                                  for r in moved.itertuples()) + "."


def _cap_notes(base: WhatIfBase, fixed: dict[str, int]) -> list[str]:
    """Fixed numbers above what a municipality said it can take in the feedback round."""
    caps = base.caps
    if caps is None:
        return []
    return [f"{base.municipality(c)}: {format_int(n)} er over kapasiteten kommunen oppga ({format_int(caps[c])})."
            for c, n in fixed.items() if not pd.isna(caps.get(c)) and n > caps[c]]


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
