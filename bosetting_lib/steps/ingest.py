"""Read every raw input for a year through the source readers and write the processed tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bosetting_lib.sources.county_check import check_county_against_register
from bosetting_lib.sources.plausibility import CELL_ATTRS, apply_overrides, check_table, parse_overrides, repeated_tables
from bosetting_lib.steps.context import RunContext
from bosetting_lib.steps.tables import read_document, read_table, write_document, write_table
from bosetting_lib.errors import InputError, Problem
from bosetting_lib.config.params import Params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.feedback.read import feedback_table, read_feedback_folder
from bosetting_lib.sources.raw_manifest import example_inputs, read_manifest
from bosetting_lib.sources.readers.adjustments import read_adjustments_file
from bosetting_lib.sources.readers.county_inputs import read_county_inputs
from bosetting_lib.sources.readers.tidy import TIDY_COLUMNS, CellList, translation_report
from bosetting_lib.sources.readers.compiled_csv import read_compiled_indicator
from bosetting_lib.sources.readers.imdi import read_imdi_table
from bosetting_lib.sources.readers.nav import read_nav_monthly
from bosetting_lib.sources.cells import SSB_SYMBOLS
from bosetting_lib.sources.register import Register
from bosetting_lib.sources.ssb_api import read_ssb_table

_POPULATION_VARIABLES = ("personer", "folketall", "folkemengde")


@dataclass(frozen=True)
class IngestResult:
    """The cleaned inputs for one county and year, all on the analysed year's municipality structure."""

    municipalities: pd.DataFrame
    population: pd.DataFrame
    settlement: pd.DataFrame
    translation_report: pd.DataFrame
    optional: dict[str, pd.DataFrame]  # processed name -> tidy table, for the optional indicator inputs
    feedback: pd.DataFrame | None  # one row per municipality (with contact details: analyst's data only)
    feedback_duplicates: pd.DataFrame | None
    example_inputs: frozenset[str]  # which optional inputs the manifest marks as example data
    geography: pd.DataFrame | None = None  # area and a point inside each municipality, when the reference has them
    # implausible figures the parameters accept (godta_avvik), with the reason; the report lists them
    accepted_deviations: tuple[dict, ...] = ()

    def summary(self) -> pd.DataFrame:
        """One line per table: rows, municipalities, years, cells with a symbol instead of a number."""
        rows = []
        for name, frame in (("folketall", self.population), ("bosettingstall", self.settlement), *self.optional.items()):
            rows.append({
                "tabell": name, "rader": len(frame), "kommuner": frame["kommunenummer"].nunique(),
                "år": ", ".join(str(y) for y in sorted(frame["aar"].unique())),
                "celler med symbol": int(frame["status"].notna().sum()),
            })
        return pd.DataFrame(rows)


def _collect(problems: list[Problem], call):
    try:
        return call()
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def read_all(params: Params, data_paths: DataPaths, *, include_feedback: bool = True) -> IngestResult:
    """Read and check every input named in the parameters; raise one InputError listing all problems.

    ``include_feedback=False`` skips the feedback answers (the forms are made before any answer exists).
    """
    problems: list[Problem] = []
    raw = data_paths.raw
    register = Register.load(raw / params.inndata_register)
    # A county name contradicting the number would label every row of the table for IMDi with the wrong county.
    if county_problems := check_county_against_register(params, register):
        raise InputError(county_problems)
    county = params.fylkesnummer
    municipalities = register.municipalities(params.aar, county=county)
    if municipalities.empty:
        raise InputError(Problem(str(params.source), expected="et fylkesnummer som finnes i kommuneregisteret for året",
                                 found=county, column="fylkesnummer"))
    files = {params.inndata_folketall: None, **{rel: year for year, rel in params.inndata_imdi.items()}}
    for rel in files:
        if not (raw / rel).is_file():
            problems.append(Problem(str(raw / rel), expected="en fil som finnes (navngitt i parameterfilen)", found="filen finnes ikke"))
    if problems:
        raise InputError(problems)

    split_weights = _split_weights(raw, params, problems)
    population = _collect(problems, lambda: read_ssb_table(  # StatBank CSV, or JSON-stat from `bosetting hent`
        raw / params.inndata_folketall, register=register, target_year=params.aar, county=county,
        split_weights=split_weights))
    status_cells = population.attrs.get("status_cells", ()) if population is not None else ()
    targets = set(municipalities["kommunenummer"])
    settlement_parts = []
    for year, rel in params.inndata_imdi.items():
        # A page lists the counties of its own year: read every one that held any of our municipalities then.
        parts, failed = [], False
        for page_county in source_counties(register, year, targets, params.aar):
            part = _collect(problems, lambda rel=rel, year=year, page_county=page_county: read_imdi_table(
                raw / rel, year=year, county=page_county, register=register, target_year=params.aar,
                split_weights=split_weights))
            if part is None:
                failed = True
            else:
                parts.append(part.loc[part["kommunenummer"].isin(targets)])
        if not failed:
            _check_imdi_coverage(parts, municipalities, raw / rel, year, problems)
        settlement_parts += parts
    if problems:
        raise InputError(problems)

    population = population.loc[population["kommunenummer"].isin(municipalities["kommunenummer"])]
    population = population.loc[population["variabel"].str.casefold().isin(_POPULATION_VARIABLES)].copy()
    population["variabel"] = "folketall"
    population.attrs = _renamed_cells(population.attrs, _POPULATION_VARIABLES, "folketall")
    settlement = pd.concat(settlement_parts, ignore_index=True)
    reports = [translation_report(p) for p in [population, *settlement_parts]]
    reports = [r for r in reports if not r.empty]
    translation = pd.concat(reports, ignore_index=True) if reports else pd.DataFrame()

    _check_coverage(population, municipalities, raw / params.inndata_folketall, params.aar - 1, problems, status_cells)
    optional = _read_optional(params, data_paths, register, municipalities, problems)
    accepted = _plausibility(params, population, settlement_parts, optional, problems)
    if "justeringer" in params.inndata_valgfrie:
        # Read here, before anything is written, with the rules that need no model run (notebook 03 reads it again).
        _collect(problems, lambda: read_adjustments_file(
            raw / params.inndata_valgfrie["justeringer"], municipalities, register=register, year=params.aar,
            total=params.totalt, minimum=params.minstetall, exceptions=params.unntak_koder))
    feedback, duplicates = (_read_feedback(params, data_paths, municipalities, settlement, problems)
                            if include_feedback else (None, None))
    # The county's own files for the municipality information to IMDi: checked here, shown by the report.
    _collect(problems, lambda: read_county_inputs(params, data_paths, municipalities))
    if problems:
        raise InputError(problems)
    return IngestResult(
        municipalities=municipalities.reset_index(drop=True),
        population=_sorted(population),
        settlement=_sorted(settlement),
        translation_report=translation,
        optional={name: _sorted(frame) for name, frame in optional.items()},
        feedback=feedback,
        feedback_duplicates=duplicates,
        example_inputs=example_inputs(params.inndata_valgfrie, read_manifest(data_paths)),
        geography=read_geography(data_paths.raw / params.inndata_register, municipalities["kommunenummer"]),
        accepted_deviations=tuple(accepted),
    )


def _renamed_cells(attrs: dict, old: tuple[str, ...], new: str) -> dict:
    """The reader's cell locations with a variable renamed as the table was (SSB's «Personer» -> folketall)."""
    rename = lambda v: new if str(v).casefold() in old else v  # noqa: E731
    out = dict(attrs)
    out["value_cells"] = CellList((c, a, rename(v), r, k, x) for c, a, v, r, k, x in attrs.get("value_cells", ()))
    if attrs.get("last_cell"):
        c, a, v, x, r, k, h = attrs["last_cell"]
        out["last_cell"] = (c, a, rename(v), x, r, k, h)
    return out


def _plausibility(params: Params, population: pd.DataFrame, settlement_parts: list[pd.DataFrame],
                  optional: dict[str, pd.DataFrame], problems: list[Problem]) -> list[dict]:
    """Every figure that steers, checked for plausibility (sources/plausibility.py); the accepted ones are returned.

    IMDi's tables hold one year each, so each is checked against the other years' tables; the population gives
    every count of persons a size to be measured against.
    """
    deviations = check_table(population, file=population.attrs.get("source", params.inndata_folketall))
    for i, part in enumerate(settlement_parts):
        others = [p for j, p in enumerate(settlement_parts) if j != i]
        deviations += check_table(part, file=part.attrs.get("source", ""), population=population,
                                  others=pd.concat(others, ignore_index=True) if others else None)
    for name, frame in optional.items():
        if frame.empty:
            continue
        deviations += check_table(frame, file=frame.attrs.get("source", str(params.inndata_valgfrie.get(name, name))),
                                  population=population)
    found, accepted = apply_overrides(deviations, parse_overrides(params.godta_avvik))
    problems.extend(found)
    problems.extend(repeated_tables([(p.attrs.get("source", ""), int(p["aar"].iloc[0]), p)
                                     for p in settlement_parts if not p.empty]))
    return accepted




def _compiled(variables: dict[str, str], **options):
    """A reader for a compiled indicator CSV: source columns -> variables, plus the year handling."""
    def read(path: Path, register: Register, params: Params) -> pd.DataFrame:
        return read_compiled_indicator(path, register=register, structure_year=register.structure_year(params.aar),
                                       variables=variables, **options)
    return read


def _nav_unemployment(path: Path, register: Register, params: Params) -> pd.DataFrame:
    """NAV's monthly registered unemployment -> annual means of whole calendar years (derived; see readers/nav.py)."""
    return read_nav_monthly(path, register=register, structure_year=register.structure_year(params.aar))


def _is_immigrant_share(variable: str) -> bool:
    """Whether a StatBank variable is SSB 09817's immigrant share: statistikkvariabel "Andel av befolkningen (prosent)"
    with innvandringskategori "Innvandrere" (not "Norskfødte med innvandrerforeldre"), any other dimension alongside
    (e.g. landbakgrunn); or a file whose variable is already called "innvandrerandel"."""
    parts = [" ".join(p.split()).casefold() for p in variable.split(",")]
    return parts == ["innvandrerandel"] or (parts[0].startswith("andel av befolkningen") and "innvandrere" in parts[1:])


def _immigrant_share(path: Path, register: Register, params: Params) -> pd.DataFrame:
    """SSB 09817 immigrants as a percentage of the population (1 January), read as a StatBank CSV download.

    Values stay as published. The bundled Telemark file holds whole percentages truncated by its source (the true share
    lies in [value, value + 1)); a download from StatBank has decimals and replaces it without any change here. A share
    cannot be summed over merged municipalities or split by weights, so the file must be on the analysed year's
    municipality structure (StatBank offers that as "gjeldende kommuner"); anything else is refused.
    """
    file = str(path)
    frame = read_ssb_table(path, register=register, target_year=params.aar, county=params.fylkesnummer)
    wanted = frame["variabel"].map(_is_immigrant_share).astype(bool)
    if not wanted.any() and len(frame):
        raise InputError(Problem(file, expected="statistikkvariabelen «Andel av befolkningen (prosent)» for "
                                 "innvandringskategorien «Innvandrere» (SSB 09817)",
                                 found=", ".join(sorted(frame["variabel"].unique())[:5]), column="statistikkvariabel"))
    share = frame.loc[wanted].copy()
    problems = []
    if share["variabel"].nunique() > 1:
        problems.append(Problem(file, expected="én variabel med innvandrerandelen (velg én landbakgrunn, «alle land»)",
                                found=", ".join(sorted(share["variabel"].unique())), column="statistikkvariabel"))
    report = translation_report(frame)
    if not report.empty:
        report = report.loc[report["variabel"].map(_is_immigrant_share).astype(bool)]
        for r in report.drop_duplicates(["fra_kode", "til_kode"]).itertuples():
            problems.append(Problem(file, expected=f"tall på kommuneinndelingen for {params.aar} (en andel kan ikke legges "
                                    "sammen eller deles); last ned tabellen for gjeldende kommuner",
                                    found=f"{r.fra_kode} → {r.til_kode} ({r.relasjon})", column="region"))
    outside = share.loc[share["verdi"].notna() & ((share["verdi"] < 0) | (share["verdi"] > 100))]
    problems += [Problem(file, expected=f"en andel i prosent (0–100) for {r.kommunenummer} {r.aar}", found=str(r.verdi),
                         column=str(r.aar)) for r in outside.itertuples()]
    if problems:
        raise InputError(problems)
    share["variabel"] = "innvandrerandel"
    share.attrs = frame.attrs
    return share


# How each optional input is read: processed table name and the reader (path, register, params) -> tidy table.
_OPTIONAL_READERS = {
    "bosatte_flyktninger": ("bosatte_flyktninger", _compiled(
        {"settled_total_excl_suppressed": "bosatte_flyktninger", "unaccompanied_minors_ema": "bosatte_em"},
        year_column="year", note_columns={"unaccompanied_minors_ema": "note_ema"})),
    "sentralitet": ("sentralitet", _compiled({"sentralitetsklasse": "sentralitetsklasse"}, year_column=None, fixed_year=2024)),
    "fastlege": ("fastlege", _compiled({"lege_reservekapasitet": "lege_reservekapasitet"}, year_column="year")),
    # NAV, registered fully unemployed per municipality and month; the processed table holds annual means (derived)
    "ledighet": ("ledighet", _nav_unemployment),
    # SSB 09817, immigrants as % of the population on 1 January, as a StatBank CSV download
    "innvandrerandel": ("innvandrerandel", _immigrant_share),
}


def _read_optional(params: Params, data_paths: DataPaths, register: Register, municipalities: pd.DataFrame,
                   problems: list[Problem]) -> dict[str, pd.DataFrame]:
    """The optional indicator inputs named in the parameters, limited to the county's municipalities.

    A file without rows for the county gives an empty table (the indicator is then reported as unavailable, not 0).
    """
    tables = {}
    for key, rel in params.inndata_valgfrie.items():
        if key not in _OPTIONAL_READERS:
            continue
        path = data_paths.raw / rel
        if not path.is_file():
            problems.append(Problem(str(path), expected="en fil som finnes (navngitt i parameterfilen)", found="filen finnes ikke",
                                    column=f"inndata.{key}"))
            continue
        name, reader = _OPTIONAL_READERS[key]
        frame = _collect(problems, lambda path=path, reader=reader: reader(path, register, params))
        if frame is not None:
            tables[name] = _sorted(frame.loc[frame["kommunenummer"].isin(municipalities["kommunenummer"])],
                                   keep_cells=True)  # read_all checks their plausibility, then drops the cells
    return tables


def _read_feedback(params: Params, data_paths: DataPaths, municipalities: pd.DataFrame, settlement: pd.DataFrame,
                   problems: list[Problem]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The municipalities' answers to the feedback round, when the parameters name a folder."""
    rel = params.inndata_valgfrie.get("tilbakemeldinger")
    if rel is None:
        return None, None
    folder = data_paths.raw / rel
    if not folder.is_dir():
        problems.append(Problem(str(folder), expected="en mappe med tilbakemeldinger", found="mappen finnes ikke",
                                column="inndata.tilbakemeldinger"))
        return None, None
    result = read_feedback_folder(folder, year=params.aar, municipalities=municipalities)
    problems.extend(result.problems)
    last = settlement.loc[(settlement["variabel"] == "anmodet") & (settlement["aar"] == settlement["aar"].max())]
    table = feedback_table(result, last_year_request=last.set_index("kommunenummer")["verdi"])
    return table, result.duplicates


def source_counties(register: Register, year: int, target_codes: set[str], target_year: int) -> list[str]:
    """The counties of ``year``'s structure that held any of the target municipalities (on ``target_year``'s structure)."""
    pairs = register.code_pairs(year, target_year)
    sources = set(pairs.loc[pairs["til_kode"].isin(target_codes), "fra_kode"])
    old = register.municipalities(year)
    return sorted(old.loc[old["kommunenummer"].isin(sources), "fylkesnummer"].unique().tolist())


def _split_weights(raw: Path, params: Params, problems: list[Problem]) -> pd.DataFrame | None:
    """The documented weights for splits that have no exact code translation, when the parameters name them."""
    rel = params.inndata_valgfrie.get("delingsvekter")
    if rel is None:
        return None
    path = raw / rel
    if not path.is_file():
        problems.append(Problem(str(path), expected="en fil som finnes (navngitt i parameterfilen)", found="filen finnes ikke",
                                column="inndata.delingsvekter"))
        return None
    weights = pd.read_csv(path, dtype={"fra_kode": str, "til_kode": str})
    return weights[["fra_kode", "til_kode", "andel"]]


def _check_coverage(population: pd.DataFrame, municipalities: pd.DataFrame, file: Path, year: int, problems: list[Problem],
                    status_cells: tuple = ()) -> None:
    """Every municipality needs a population figure for the key's reference year (a symbol is not a figure).

    ``status_cells`` (the reader's ``attrs["status_cells"]``) lets a symbol be shown in the row and column it stands.
    """
    have = population.loc[(population["aar"] == year) & population["verdi"].notna(), "kommunenummer"]
    status = population.loc[population["aar"] == year].set_index("kommunenummer")["status"]
    status = status[~status.index.duplicated()]
    where = {(c[0], c[1]): (c[3], c[4]) for c in status_cells if str(c[2]).casefold() in _POPULATION_VARIABLES}
    for _, row in municipalities.loc[~municipalities["kommunenummer"].isin(have)].iterrows():
        code = row["kommunenummer"]
        expected = f"folketall 1.1.{year} for {code} {row['kommune']} (nøkkelen bygger på det)"
        symbol = status.get(code)
        if symbol is None or pd.isna(symbol):
            problems.append(Problem(str(file), expected=expected, found="ingen rad for kommunen og året", column=str(year)))
            continue
        meaning = SSB_SYMBOLS.get(symbol)
        expected += f", ikke symbolet «{symbol}»" + (f" ({meaning})" if meaning else "") + ", som aldri leses som 0"
        rowno, column = where.get((code, year), (None, str(year)))
        problems.append(Problem(str(file), expected=expected, found=symbol, row=rowno, column=column))


def _check_imdi_coverage(parts: list[pd.DataFrame], municipalities: pd.DataFrame, file: Path, year: int,
                         problems: list[Problem]) -> None:
    """IMDi's table lists every municipality in the county; a missing row (a cut or partial copy) is an error."""
    have = set().union(*(set(p["kommunenummer"]) for p in parts)) if parts else set()
    county = municipalities["fylke"].iloc[0] if "fylke" in municipalities.columns and len(municipalities) else "fylket"
    for code, name in zip(municipalities["kommunenummer"], municipalities["kommune"]):
        if code not in have:
            problems.append(Problem(str(file), expected=f"en rad for hver kommune i {county} i IMDis tabell for {year}; "
                                    f"mangler {code} {name}", found="ingen rad", column="Kommune"))


GEOGRAPHY_COLUMNS = ["kommunenummer", "areal_km2", "punkt_i_flate_lat", "punkt_i_flate_lon"]


def read_geography(reference: Path, codes: pd.Series) -> pd.DataFrame | None:
    """Land area and a point inside each municipality from the reference folder's county lists, when there are any.

    Area comes from a county list with an ``areal_km2`` column (``kommuner_<fylke>.csv``), points from
    ``adm_senter_<fylke>.csv``; a municipality without a value gets NA, and the users decide what is complete enough.
    """
    frames = []
    for pattern, columns in (("kommuner_*.csv", ["areal_km2"]), ("adm_senter_*.csv", ["punkt_i_flate_lat", "punkt_i_flate_lon"])):
        for path in sorted(reference.glob(pattern)):
            frame = pd.read_csv(path, dtype={"kommunenummer": str})
            if set(columns) <= set(frame.columns):
                frames.append(frame.set_index("kommunenummer")[columns])
    if not frames:
        return None
    geography = pd.DataFrame(index=pd.Index(codes, name="kommunenummer"))
    for frame in frames:
        geography = geography.combine_first(frame.loc[frame.index.isin(codes)])
    geography = geography.reindex(codes).reset_index()
    if geography.drop(columns="kommunenummer").isna().all().all():
        return None
    return geography.reindex(columns=GEOGRAPHY_COLUMNS)


def _sorted(frame: pd.DataFrame, *, keep_cells: bool = False) -> pd.DataFrame:
    out = frame[TIDY_COLUMNS].sort_values(["kommunenummer", "aar", "variabel"], kind="stable").reset_index(drop=True)
    if not keep_cells:
        # the cell locations served the plausibility checks; pandas would deep-copy them on every later operation
        out.attrs = {k: v for k, v in out.attrs.items() if k not in CELL_ATTRS}
    return out


@dataclass(frozen=True)
class IngestOverview:
    """What step 01 shows when the run has already read and checked the inputs: the same summary and translations."""

    overview: pd.DataFrame
    translation_report: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        return self.overview


def write_ingest(result: IngestResult, folder: Path) -> None:
    """Write step 01's tables to a processed folder (contact details stay here, in the analyst's processed data)."""
    write_table(folder, "kommuner", result.municipalities)
    write_table(folder, "folketall", result.population)
    write_table(folder, "bosettingstall", result.settlement)
    write_table(folder, "omkoding", result.translation_report)
    for name, frame in result.optional.items():
        write_table(folder, name, frame)
    if result.feedback is not None:
        write_table(folder, "tilbakemeldinger", result.feedback)
        write_table(folder, "tilbakemeldinger_duplikater", result.feedback_duplicates)
    if result.geography is not None:
        write_table(folder, "geografi", result.geography)
    write_document(folder, "innlesing", {"oversikt": result.summary().to_dict(orient="records"),
                                         "godtatte_avvik": list(result.accepted_deviations)})


def ingest(run: RunContext, *, already_read: bool = False) -> IngestResult | IngestOverview:
    """Read all inputs and write the processed tables for the run.

    ``already_read`` is set by ``bosetting kjor``, which read and checked every input before the notebooks started
    and wrote these tables into this run's own (new) processed folder: then nothing is read twice. Opened by hand in
    JupyterLab the notebook always reads the raw files again.
    """
    if already_read and read_document(run.processed_dir, "innlesing") is not None:
        overview = pd.DataFrame(read_document(run.processed_dir, "innlesing")["oversikt"])
        return IngestOverview(overview, read_table(run.processed_dir, "omkoding"))
    result = read_all(run.params, run.data)
    write_ingest(result, run.processed_dir)
    return result
