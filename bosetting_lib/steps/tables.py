"""The catalogue of processed tables: every file a step writes to ``data/processed/<år>/``, read and written here.

Each table is named once, with the notebook that writes it, how it is written (index, float format) and how it is
read back (dtypes), so a file name or a dtype is never spelled in two places. The notebooks' step modules read and
write only through these functions; the model never sees a path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bosetting_lib.config.params import Params
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.model.indicators import Inputs
from bosetting_lib.sources.freshness import partial_imdi_years
from bosetting_lib.sources.raw_manifest import example_inputs as manifest_example_inputs
from bosetting_lib.sources.raw_manifest import read_manifest
from bosetting_lib.steps.context import RunContext

_CODES = {"kommunenummer": str, "fylkesnummer": str, "status": str}


@dataclass(frozen=True)
class Table:
    """One processed table: its file, the step that writes it, and how it is written and read."""

    file: str
    step: str
    description: str
    index: bool = False  # the frame's index (kommunenummer) is written as the first column
    float_format: str | None = None
    dtypes: dict = field(default_factory=lambda: dict(_CODES))
    tidy: bool = False  # a tidy table: 'verdi' is read back as nullable Float64
    personal: bool = False  # may hold contact details: never read by the shared outputs as it is


TABLES: dict[str, Table] = {
    # 01 Innlesing
    "kommuner": Table("kommuner.csv", "01", "fylkets kommuner i årets kommuneinndeling"),
    "folketall": Table("folketall.csv", "01", "folketall per kommune og år (SSB 07459)", tidy=True),
    "bosettingstall": Table("bosettingstall.csv", "01", "IMDis anmodet, vedtatt og bosatte per kommune og år", tidy=True),
    "omkoding": Table("omkoding.csv", "01", "hvordan gamle kommunenummer er lagt på årets inndeling", dtypes=str),
    "bosatte_flyktninger": Table("bosatte_flyktninger.csv", "01", "bosatte flyktninger per år", tidy=True),
    "sentralitet": Table("sentralitet.csv", "01", "SSBs sentralitetsklasse", tidy=True),
    "fastlege": Table("fastlege.csv", "01", "ledig kapasitet hos fastlegene", tidy=True),
    "ledighet": Table("ledighet.csv", "01", "registrert ledighet (NAV)", tidy=True),
    "innvandrerandel": Table("innvandrerandel.csv", "01", "innvandrerandel (SSB 09817)", tidy=True),
    "tilbakemeldinger": Table("tilbakemeldinger.csv", "01", "kommunenes svar i tilbakemeldingsrunden", personal=True),
    "tilbakemeldinger_duplikater": Table("tilbakemeldinger_duplikater.csv", "01", "svar som ble erstattet av et nyere",
                                         personal=True),
    # 02 Indikatorer
    "indikatorer": Table("indikatorer.csv", "02", "indikatorverdier per kommune", index=True, float_format="%.6f"),
    "indikatorer_beskrivelse": Table("indikatorer_beskrivelse.csv", "02", "hva hver indikator måler", dtypes=str),
    "kriterier_flagg": Table("kriterier_flagg.csv", "02", "kommuner uten verdi for et kriterium (vippes ikke)"),
    # 03 Fordeling
    "anbefaling": Table("anbefaling.csv", "03", "anbefalingen med historikk, justeringer og begrunnelse",
                        float_format="%.10f"),
    "modell_ledd": Table("modell_ledd.csv", "03", "ankermodellens ledd per kommune, urundet (personer)", index=True,
                         float_format="%.10f", dtypes={**_CODES, "unntak_forslag_begrunnelse": str, "aarsak": str}),
    "bidrag": Table("bidrag.csv", "03", "forklaringens hele ledd per kommune, fra anmodet i fjor til anbefalingen",
                    index=True, dtypes={**_CODES, "tekst": str}),
    "scenarier": Table("scenarier.csv", "03", "fordelingen ved andre totaltall",
                       dtypes={"kommunenummer": str, "merknad": str}),
    "usikkerhet": Table("usikkerhet.csv", "03", "spennet når modellens innstillinger varieres", index=True,
                        float_format="%.6f"),
    "referansenokler": Table("referansenokler.csv", "03", "referansenøklene fordelt etter samme regler",
                             dtypes={"kommunenummer": str, "merknad": str}),
    "backtest": Table("backtest.csv", "03", "etterprøving mot IMDis faktiske anmodning"),
    "modelltreff": Table("modelltreff.csv", "03", "slik har modellen og de enkle referansene truffet fylket før",
                         float_format="%.6f"),
    "geografi": Table("geografi.csv", "01", "areal og et punkt i hver kommune (kart og referansenøkler)"),
}

# Small JSON documents beside the tables (parameters and notes a step hands to the next).
DOCUMENTS = {
    "manifest": "manifest.json",
    "innlesing": "innlesing.json",
    "kriterier": "kriterier.json",
    "modell": "modell.json",
    "enslige_mindreaarige": "enslige_mindreaarige.json",
    "backtest": "backtest.json",
}


def table_path(folder: Path, name: str) -> Path:
    return folder / TABLES[name].file


def has_table(folder: Path, name: str) -> bool:
    return table_path(folder, name).is_file()


def write_table(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    """Write a catalogued table the one way it is always written (byte-identical on a rerun)."""
    spec = TABLES[name]
    path = table_path(folder, name)
    frame.to_csv(path, index=spec.index, lineterminator="\n", float_format=spec.float_format)
    return path


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """Read a catalogued table with its dtypes (codes as strings); an indexed table comes back indexed."""
    spec = TABLES[name]
    try:
        frame = pd.read_csv(table_path(folder, name), dtype=spec.dtypes)
    except pd.errors.EmptyDataError:  # a table with no rows and no columns is written as an empty line
        return pd.DataFrame()
    if spec.tidy or "verdi" in frame.columns:
        frame["verdi"] = frame["verdi"].astype("Float64")
    return frame.set_index("kommunenummer") if spec.index else frame


def read_optional(folder: Path, name: str) -> pd.DataFrame | None:
    return read_table(folder, name) if has_table(folder, name) else None


def write_json(data: dict, path: Path) -> None:
    """Write JSON with sorted keys and a final newline, so reruns are byte-identical."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def write_document(folder: Path, name: str, data: dict) -> None:
    write_json(data, folder / DOCUMENTS[name])


def read_document(folder: Path, name: str) -> dict | None:
    path = folder / DOCUMENTS[name]
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


# ---------------------------------------------------------------------------------------------------------------
# What the steps share


def example_inputs(run: RunContext) -> frozenset[str]:
    """The optional inputs (parameter keys) of this run whose files the manifest marks as example data."""
    return manifest_example_inputs(run.params.inndata_valgfrie, read_manifest(run.data))


def feedback_steers(run: RunContext) -> bool:
    """Feedback answers cap the numbers only when they are real, or when the parameters explicitly allow example data."""
    return steers(run.params, example_inputs(run))


def steers(params: Params, examples: frozenset[str]) -> bool:
    """:func:`feedback_steers` for parameters and the example inputs known without a run (validation's dry run)."""
    return "tilbakemeldinger" in params.inndata_valgfrie and (
        "tilbakemeldinger" not in examples or params.bruk_eksempeldata)


def _before(tidy: pd.DataFrame | None, year: int) -> pd.DataFrame | None:
    return None if tidy is None else tidy.loc[tidy["aar"] < year].reset_index(drop=True)


def load_inputs(run: RunContext) -> Inputs:
    """The processed tables the indicators need; example data is left out unless the parameters include it."""
    folder = run.processed_dir
    return inputs_from(run.params, run.data, lambda name: read_optional(folder, name), example_inputs(run))


def inputs_from(params: Params, data: DataPaths, table: Callable[[str], pd.DataFrame | None],
                examples: frozenset[str]) -> Inputs:
    """The indicators' inputs from processed tables given by name (``table(name)``, None when absent): read from
    the processed folder by the steps, or held in memory by validation's dry run, so both build the same thing."""
    use = lambda key: key not in examples or params.bruk_eksempeldata  # noqa: E731
    optional = lambda key: table(key) if use(key) else None  # noqa: E731
    return Inputs(
        municipalities=table("kommuner"),
        population=table("folketall"),
        # Only years before the analysed one steer the key; the analysed year's own request is kept for the backtest.
        settlement=_before(table("bosettingstall"), params.aar),
        year=params.aar,
        settled_refugees=_before(optional("bosatte_flyktninger"), params.aar),
        centrality=optional("sentralitet"),
        gp_capacity=optional("fastlege"),
        feedback=optional("tilbakemeldinger"),
        labour=optional("ledighet"),
        immigrant_share=optional("innvandrerandel"),
        example_inputs=examples,
        partial_years=partial_imdi_years(params, data),
    )
