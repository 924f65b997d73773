"""The report's method prose in Norwegian: how the rounding rule works, in words an analyst can defend."""

from __future__ import annotations

from bosetting_lib.formatting import format_short
from bosetting_lib.model.allocation import normalise_method


def method_text_nb(method: str = "sainte-lague", minimum: int = 10) -> str:
    """One paragraph in Norwegian bokmål explaining the rounding rule, for the report's method appendix."""
    method = normalise_method(method)
    m = minimum
    if method == "sainte-lague":
        intro = (
            "Tallene rundes til hele personer med Sainte-Laguës metode, den samme som brukes når stortingsmandatene fordeles mellom valgdistriktene: "
            "personene deles ut én etter én til kommunen med høyest kvotient, det vil si kommunens vekt delt på "
            "1, 3, 5, 7 og så videre etter hvor mange den allerede har fått."
        )
        block = (
            f"En kommune som ennå ikke har fått noen, får de {m} første på én gang, med vekten delt på {m} som "
            f"kvotient ({m} er gjennomsnittet av de {m} første divisorene). Det betyr at en kommune som etter sin "
            f"andel ville fått minst {format_short(m / 2)}, rundes opp til {m}, mens en kommune med mindre enn "
            f"{format_short(m / 2)} får 0."
        )
    elif method == "dhondt":
        intro = (
            "Tallene rundes til hele personer med d'Hondts metode: personene deles ut én etter én til kommunen "
            "med høyest kvotient, det vil si kommunens vekt delt på 1, 2, 3 og så videre etter hvor mange den "
            "allerede har fått."
        )
        block = (
            f"En kommune som ennå ikke har fått noen, får de {m} første på én gang, med vekten delt på {m} som "
            f"kvotient, slik at den må ha en andel på minst {m} for å få noen."
        )
    else:
        intro = (
            "Tallene rundes til hele personer med største brøks metode: hver kommune får heltallsdelen av sin "
            "andel, og de som er igjen, går til kommunene med størst rest."
        )
        block = (
            f"En kommune som ennå ikke har fått noen, får de {m} første på én gang når andelen minus "
            f"{format_short((m - 1) / 2)} er blant de største, det vil si omtrent når andelen er minst {format_short(m / 2)}; "
            "kommuner som faller ut, tas ut, og andelene regnes ut på nytt for resten."
        )
    if m <= 1:
        block = ""
    rest = (
        (
            f"Er det færre enn {m} igjen når en slik kommune står for tur, hoppes den over og får 0. "
            if m > 1
            else ""
        )
        + "Ingen kommune får flere enn kapasiteten den har oppgitt; når den er nådd, går de neste til de andre. "
        "Kommuner som har takket nei, får 0"
        + (
            f", og kommuner som er unntatt fra minstetallet, kan få færre enn {m}. "
            if m > 1
            else ". "
        )
        + (
            "Blir det til slutt personer til overs fordi alle som har fått noen, er fulle, får den første kommunen "
            f"som ble hoppet over, {m} likevel, og det overskytende trekkes tilbake fra de siste som ble delt ut. "
            if m > 1
            else ""
        )
        + "Står to kommuner likt, går personen til kommunen med størst vekt, deretter til den som står først i "
        "kommunelisten. Summen blir alltid nøyaktig fylkets totaltall."
    )
    return " ".join(p for p in (intro, block, rest) if p)
