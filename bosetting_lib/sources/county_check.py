"""The parameter file's county name against its county number, by the municipality register.

Kept out of ``params.py`` so that loading parameters does not need the register (config does not import sources);
``ingest.read_all`` calls it right after loading the register, so ``bosetting validate``, ``bosetting run`` and
``bosetting skjema`` all refuse a contradiction before anything is read or written.
"""

from __future__ import annotations

import difflib

from bosetting_lib.errors import Problem
from bosetting_lib.config.params import Params
from bosetting_lib.sources.register import Register, UnknownCountyError, normalise_name


def check_county_against_register(params: Params, register: Register) -> list[Problem]:
    """Problems when ``fylke`` is not a county of the year or names another county than ``fylkesnummer``.

    Every form the register knows is accepted: the plain name, the official name and each language form
    («Trøndelag», «Trøndelag - Trööndelage», «Trööndelage»). Without ``fylke`` there is nothing to compare.
    """
    file, year = str(params.source), params.aar
    counties = {r.fylkesnummer: r.fylke for r in register.counties(year).itertuples()}
    listing = ", ".join(f"{n} {name}" for n, name in counties.items())
    problems: list[Problem] = []
    number = params.fylkesnummer
    if number not in counties:
        problems.append(Problem(file, expected=f"et fylkesnummer som finnes i {year} ({listing})", found=number,
                                column="fylkesnummer"))
    if params.fylke is None:
        return problems
    try:
        named = register.county_number(params.fylke, year)
    except UnknownCountyError:
        aliases = {a: n for n in counties for a in register.county_aliases(n, year)}
        close = difflib.get_close_matches(normalise_name(params.fylke), [normalise_name(a) for a in aliases], n=1,
                                          cutoff=0.6)
        hint = ""
        if close:
            match = next(a for a in aliases if normalise_name(a) == close[0])
            hint = f"; mente du «{counties[aliases[match]]}»?"
        problems.append(Problem(file, expected=f"et fylkesnavn som finnes i {year} ({listing}){hint}",
                                found=params.fylke, column="fylke"))
        return problems
    if number in counties and named != number:
        problems.append(Problem(
            file,
            expected=(f"samme fylke i «fylke» og «fylkesnummer»: fylkesnummer «{number}» er {counties[number]}, mens "
                      f"«{params.fylke}» er fylkesnummer «{named}». Rett det av de to som er feil (fylkesnummeret "
                      "bestemmer hvilke kommuner som regnes med)"),
            found=params.fylke, column="fylke"))
    return problems
