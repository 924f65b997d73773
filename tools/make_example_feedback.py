"""Writes the bundled EXAMPLE municipal feedback for Trøndelag 2026 (not real answers) into data/raw/tilbakemeldinger/.

Eight municipalities answer on the county's own xlsx form (made by :func:`feedback_form.write_forms` and filled in
here with openpyxl), the rest through a survey tool whose export holds messy free text, one late duplicate,
contact details in a free-text field, and five municipalities that never answer. Every file says it is example
data. The output is deterministic: running ``python tools/make_example_feedback.py`` again gives identical bytes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd

from bosetting_lib.feedback.form import fill_form, write_forms
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.raw_manifest import MANIFEST_COLUMNS, read_manifest

YEAR = 2026
COUNTY_CODE = "50"
COUNTY_NAME = "Trøndelag"
DEADLINE = dt.date(2025, 5, 14)
CONTACT = "postmottak@example.com (eksempeladresse)"
NOTE = "EKSEMPELDATA – ikke ekte svar"
# The bundled example forms were filled in on version 1 of the form. Raw files are never edited, so they stay
# version 1 (the reader accepts them; the questions added in version 2 are simply unanswered there).
FORM_VERSION_OF_EXAMPLE = 1
EXPORT_NAME = "skjema_eksport_EKSEMPELDATA.csv"
FOLDER = Path("tilbakemeldinger") / str(YEAR)
IMDI_FILES = {2022: "imdi/nokkeltall_bosetting_2022_trondelag.csv", 2024: "imdi/nokkeltall_bosetting_2024_trondelag.csv",
              2025: "imdi/nokkeltall_bosetting_2025_trondelag.csv"}
IMDI_COLUMNS = {
    "Antall personer kommunen har blitt anmodet om å bosette:": "anmodet",
    "Antall personer kommunen har vedtatt å bosette:": "vedtatt",
    "Antall bosatte personer:": "bosatte",
}

# Answers on the xlsx form, by municipality code. Invented, loosely in proportion to 2025's figures.
FORM_ANSWERS: dict[str, dict[str, object]] = {
    "5001": dict(
        kapasitet=400, kapasitet_kommentar="Forutsetter at boligmarkedet ikke strammes ytterligere til.",
        onske="Som før", em_kan_bosette="Ja", em_kapasitet=30,
        kvalifiseringstilbud="Introduksjonsprogram med arbeidsrettede spor i helse og bygg; kombinasjonsklasser "
        "på videregående. (Eksempeltekst.)",
        interkommunalt_samarbeid="Ja", samarbeid=["Malvik", "Melhus", "Skaun"],
        samarbeid_tekst="Felles jobbsenter og norskopplæring i Trondheimsregionen. (Eksempeltekst.)",
        arbeidskraftbehov="Helsefagarbeidere, sykepleiere, barnehagelærere, bussjåfører.",
        kontaktperson="Eksempel Kontaktperson", kontakt_epost="kontakt.trondheim@example.com",
        kontakt_telefon="922 33 444", svardato=dt.datetime(2025, 5, 12),
    ),
    "5006": dict(
        kapasitet=70, onske="Som før", em_kan_bosette="Ja", em_kapasitet=5,
        kvalifiseringstilbud="Bransjeskole i helse i samarbeid med videregående skole. (Eksempeltekst.)",
        interkommunalt_samarbeid="Ja", samarbeid=["Inderøy", "Snåsa"],
        arbeidskraftbehov="Helse og omsorg, landbruk, industri.",
        kontaktperson="Eksempel Kontaktperson", kontakt_epost="kontakt.steinkjer@example.com",
        kontakt_telefon="+47 74 00 00 00", svardato=dt.datetime(2025, 5, 9),
    ),
    "5021": dict(
        kapasitet=55, kapasitet_kommentar="Kan øke dersom nye utleieboliger blir ferdige i tide.",
        onske="Flere enn før", em_kan_bosette="Nei",
        kvalifiseringstilbud="Språkpraksis i reiseliv og varehandel. (Eksempeltekst.)",
        interkommunalt_samarbeid="Nei",
        arbeidskraftbehov="Reiseliv, renhold, helse, bygg og anlegg.",
        kontaktperson="Eksempel Kontaktperson", kontakt_epost="kontakt.oppdal@example.com",
        svardato=dt.datetime(2025, 5, 14),
    ),
    "5033": dict(
        kapasitet=0, onske="Ønsker ikke å bosette", em_kan_bosette="Nei", em_kapasitet=0,
        kommentar="Kommunen har ikke boliger eller tjenester til å bosette i 2026. (Eksempeltekst.)",
        interkommunalt_samarbeid="Ja", samarbeid=["Selbu"],
        kontaktperson="Eksempel Kontaktperson", svardato=dt.datetime(2025, 5, 2),
    ),
    "5035": dict(
        kapasitet=90, onske="Som før", em_kan_bosette="Ja", em_kapasitet=8,
        kvalifiseringstilbud="Kombinert norsk og fagopplæring med lærlingplass. (Eksempeltekst.)",
        interkommunalt_samarbeid="Ja", samarbeid=["Meråker", "Frosta", "Levanger"],
        samarbeid_tekst="Felles voksenopplæring med nabokommunene. (Eksempeltekst.)",
        arbeidskraftbehov="Industri, logistikk, helse.",
        kontaktperson="Eksempel Kontaktperson", kontakt_epost="kontakt.stjordal@example.com",
        svardato=dt.datetime(2025, 5, 13),
    ),
    "5041": dict(
        kapasitet=15, onske="Færre enn før", em_kan_bosette="Nei",
        kapasitet_kommentar="Avhenger av ledige kommunale boliger.",
        interkommunalt_samarbeid="Ja", samarbeid=["Steinkjer"],
        arbeidskraftbehov="Landbruk, helse.",
        kontaktperson="Eksempel Kontaktperson", svardato=dt.datetime(2025, 5, 7),
    ),
    "5055": dict(
        kapasitet=80, onske="Færre enn før", em_kan_bosette="Ja", em_kapasitet=10,
        kvalifiseringstilbud="Havbruksrettet kvalifisering. (Eksempeltekst.)",
        interkommunalt_samarbeid="Ja", samarbeid=["Hitra", "Orkland"],
        arbeidskraftbehov="Havbruk, fiskeforedling, helse.",
        kontaktperson="Eksempel Kontaktperson", kontakt_epost="kontakt.heim@example.com",
        svardato=dt.datetime(2025, 5, 6),
    ),
    # Orkland also answers later through the survey: that later answer should win.
    "5059": dict(
        kapasitet=50, onske="Som før", em_kan_bosette="Ja", em_kapasitet=5,
        interkommunalt_samarbeid="Ja", samarbeid=["Heim", "Skaun"],
        arbeidskraftbehov="Industri, helse, barnehage.",
        kontaktperson="Eksempel Kontaktperson", kontakt_epost="kontakt.orkland@example.com",
        svardato=dt.datetime(2025, 5, 5),
    ),
}

EXPORT_HEADER = (
    "ID", "Starttidspunkt", "Fullføringstidspunkt", "E-post", "Navn", "Kommune",
    f"Hvor mange flyktninger kan kommunen bosette i {YEAR}?",
    "Kan kommunen bosette enslige mindreårige?",
    f"Hvor mange enslige mindreårige kan kommunen bosette i {YEAR}?",
    f"Hvordan ønsker kommunen å bosette i {YEAR}, sammenlignet med tidligere år?",
    "Har kommunen interkommunalt samarbeid om kvalifisering/integrering?",
    "Hvilke kommuner samarbeider dere med?",
    "Hvilke opplærings- og kvalifiseringstilbud har kommunen, og hvilke resultater kan dere vise til?",
    "Hvilke yrker eller hvilken kompetanse har kommunen særlig behov for?",
    "Andre kommentarer",
)
# One row per answer as a survey tool exports it: (finished, municipality as typed, capacity, EM yes/no,
# EM count, wish, cooperation yes/no, partners, qualification, labour needs, comment).
_E = "(Eksempeltekst.)"
EXPORT_ROWS: tuple[tuple[str, ...], ...] = (
    ("02.05.2025 09:12:40", "Namsos - Nåavmesjenjaelmie", "ca 60, avhengig av boliger", "Ja", "5", "Som før", "Ja",
     "Overhalla;Grong;", f"Karriereveiledning i introduksjonsprogrammet. {_E}", "Helse, havbruk", ""),
    ("02.05.2025 13:40:02", "Frøya kommune", "15", "Nei", "", "Som før", "Nei", "", "", "Havbruk, fiskeforedling", ""),
    ("05.05.2025 08:05:55", "Rennebu", "ti", "Nei", "", "Som før", "Ja", "Oppdal;", "", "Landbruk, helse", ""),
    ("05.05.2025 10:31:17", "Røros - Rosse", "30 inkl. familiegjenforening", "Ja", "inntil 3", "Flere enn før", "Ja",
     "Holtålen;", f"Norsk med arbeidspraksis i reiseliv. {_E}", "Reiseliv, helse, industri", ""),
    ("05.05.2025 11:02:48", "holtålen", "10", "Nei", "", "Som før", "Ja", "Røros;", "", "Helse", ""),
    ("06.05.2025 14:20:00", "Midtre Gauldal kommune", "inntil 30", "Ja", "3", "Som før", "Ja", "Melhus;", "", "Helse, bygg", ""),
    ("06.05.2025 15:45:29", "Melhus", "20-25", "Ja", "5", "Færre enn før", "Ja", "Trondheim;Skaun;Midtre Gauldal;",
     f"Fagopplæring i helse. {_E}", "Helse, barnehage",
     "Spørsmål om svaret kan rettes til Kari Eksempel, tlf. 922 33 444 eller kari.eksempel@example.com."),
    ("07.05.2025 09:00:13", "5029", "20", "Nei", "", "Som før", "Ja", "Trondheim;Orkland;", "", "Industri", ""),
    ("07.05.2025 10:10:10", "Malvik", "ca. 40 personer", "Ja", "4", "Som før", "Ja", "Trondheim;", "", "Helse, handel", ""),
    ("07.05.2025 12:30:45", "Selbu", "15", "Nei", "", "Som før", "Ja", "Tydal;", "", "Treindustri", ""),
    ("08.05.2025 08:44:21", "Meråker", "20 til 25", "Nei", "", "Som før", "Ja", "Stjørdal;", "", "Helse", ""),
    ("08.05.2025 09:15:00", "Frosta", "som i fjor", "Nei", "", "Som før", "Ja", "Stjørdal;Levanger;", "", "Landbruk", ""),
    ("08.05.2025 13:05:33", "Levanger - Levangke", "inntil 80", "Ja", "10", "Som før", "Ja", "Verdal;Stjørdal;",
     f"Introduksjonsprogram med fagbrev som mål. {_E}", "Helse, industri, undervisning", ""),
    ("09.05.2025 10:00:00", "Verdal kommune", "60–70", "Ja", "6", "Som før", "Ja", "Levanger;", "", "Industri, helse", ""),
    ("09.05.2025 11:11:11", "Lierne", "10", "Nei", "", "Som før", "Ja", "Snåsa;Røyrvik;", "", "Landbruk, helse", ""),
    ("09.05.2025 14:00:59", "Raarvihke - Røyrvik", "Ønsker ikke å bosette", "Nei", "", "Ønsker ikke å bosette", "Ja",
     "Lierne;", "", "", "Ingen ledige boliger. (Eksempeltekst.)"),
    ("12.05.2025 08:30:00", "Grong", "20 (herav 5 enslige mindreårige)", "Ja", "", "Som før", "Ja", "Namsos;Overhalla;",
     "", "Helse, industri", ""),
    ("12.05.2025 09:45:12", "Høylandet", "0", "Nei", "0", "Ønsker ikke å bosette", "Nei", "", "", "", ""),
    ("12.05.2025 10:20:40", "Overhalla", "15", "Nei", "", "Som før", "Ja", "Namsos;Grong;", "", "Landbruk, industri", ""),
    ("12.05.2025 16:02:19", "Inderøy", "avventer kommunestyrevedtak", "Ja", "", "Som før", "Ja", "Steinkjer;", "", "Helse", ""),
    ("13.05.2025 09:30:00", "Indre Fosen", "30", "Ja", "3", "Som før", "Ja", "Ørland;Åfjord;", "", "Havbruk, helse", ""),
    ("13.05.2025 11:45:00", "HITRA", "25-30", "Nei", "", "Som før", "Ja", "Frøya;Heim;", "", "Havbruk", ""),
    ("13.05.2025 13:13:13", "Ørland", "40", "Ja", "4", "Som før", "Ja", "Indre Fosen;Åfjord;",
     f"Kvalifisering mot Forsvarets sivile arbeidsplasser. {_E}", "Bygg, helse, forsvarsrelatert industri", ""),
    ("14.05.2025 08:00:00", "Åfjord", "25", "Nei", "", "Som før", "Ja", "Ørland;Indre Fosen;", "", "Havbruk", ""),
    ("14.05.2025 09:50:27", "Nærøysund", "minst 20", "Ja", "2", "Flere enn før", "Nei", "", "", "Havbruk, helse", ""),
    # The late duplicate: Malvik answers again and this answer counts.
    ("14.05.2025 15:30:00", "Malvik kommune", "45", "Ja", "5", "Som før", "Ja", "Trondheim;Stjørdal;", "", "Helse, handel",
     "Erstatter vårt forrige svar."),
    # Orkland answers through the survey after sending its form.
    ("14.05.2025 16:10:00", "Orkland", "55", "Ja", "5", "Som før", "Ja", "Heim;Skaun;", "", "Industri, helse, barnehage",
     "Oppdatert etter møte i formannskapet."),
)
# Whoever filled in the survey; Melhus's respondent is also the person named in the free text (the scrub removes both).
RESPONDENTS = {"Melhus": ("Kari Eksempel", "kari.eksempel@example.com")}
NOT_ANSWERING = ("5020", "5044", "5049", "5052", "5061")  # Osen, Namsskogan, Flatanger, Leka, Rindal


def county_municipalities(data_paths: DataPaths | None = None, county_code: str = COUNTY_CODE) -> pd.DataFrame:
    """The county's municipalities from the 2024 register: kommunenummer, kommune (plain name), offisielt_navn."""
    data_paths = data_paths or DataPaths()
    reg = pd.read_csv(data_paths.reference / "kommuner_2024.csv", dtype=str, keep_default_na=False)
    reg = reg.loc[reg["fylkesnummer"] == county_code]
    return pd.DataFrame({
        "kommunenummer": reg["kommunenummer"].to_numpy(),
        "kommune": reg["navn_norsk"].to_numpy(),
        "offisielt_navn": reg["navn_klass"].to_numpy(),
    }).astype("str")


def imdi_history(municipalities: pd.DataFrame, data_paths: DataPaths | None = None) -> pd.DataFrame:
    """IMDi's per-municipality tables (names only) as the tidy history the form shows; symbols kept in ``status``."""
    data_paths = data_paths or DataPaths()
    code_of = dict(zip(municipalities["kommune"], municipalities["kommunenummer"], strict=True))
    records = []
    for year, rel in IMDI_FILES.items():
        table = pd.read_csv(data_paths.raw / rel, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
        for _, rec in table.iterrows():
            code = code_of.get(rec["Kommune"].strip())
            if code is None:
                continue
            for column, variable in IMDI_COLUMNS.items():
                raw = rec[column].strip()
                number = raw.isdigit()
                records.append({"kommunenummer": code, "aar": year, "variabel": variable,
                                "verdi": float(raw) if number else pd.NA, "status": pd.NA if number else raw})
    df = pd.DataFrame.from_records(records)
    return df.astype({"kommunenummer": "str", "aar": "int64", "variabel": "str", "verdi": "Float64", "status": "str"})


def export_csv_text() -> str:
    """The example survey export as CSV text (semicolon, as a Norwegian Excel would save it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for i, (finished, kommune, cap, em_ok, em, wish, coop, partners, qual, labour, comment) in enumerate(EXPORT_ROWS, start=1):
        end = dt.datetime.strptime(finished, "%d.%m.%Y %H:%M:%S")
        start = end - dt.timedelta(minutes=7 + (i * 3) % 11, seconds=(i * 17) % 60)
        name, email = RESPONDENTS.get(kommune, (f"Eksempel Saksbehandler {i}", f"saksbehandler{i}@example.com"))
        writer.writerow([
            str(i), start.strftime("%d.%m.%Y %H:%M:%S"), finished, email, name, kommune, cap, em_ok, em, wish, coop,
            partners, qual, labour, comment,
        ])
    return buffer.getvalue()


def write_example(out_dir: Path, data_paths: DataPaths | None = None) -> list[Path]:
    """Write the example forms and the export into ``out_dir``; returns the files written."""
    municipalities = county_municipalities(data_paths)
    history = imdi_history(municipalities, data_paths)
    chosen = municipalities.loc[municipalities["kommunenummer"].isin(list(FORM_ANSWERS))]
    out_dir.mkdir(parents=True, exist_ok=True)
    blank = write_forms(chosen[["kommunenummer", "kommune"]], history, year=YEAR, county_name=COUNTY_NAME,
                        deadline=DEADLINE, out_dir=out_dir, contact=CONTACT, note=NOTE, version=FORM_VERSION_OF_EXAMPLE)
    filled = [fill_form(path, FORM_ANSWERS[code], year=YEAR)
              for path, code in zip(blank, chosen["kommunenummer"], strict=True)]
    export = out_dir / EXPORT_NAME
    # UTF-8 with BOM so Excel shows æøå; the survey tools' own CSV downloads look like this.
    export.write_bytes(b"\xef\xbb\xbf" + export_csv_text().encode("utf-8"))
    return [*filled, export]


EXAMPLE_MANIFEST = "manifest_tilbakemeldinger_eksempel.csv"


def manifest_rows(files: list[Path], raw_dir: Path) -> list[dict[str, str]]:
    """Manifest rows (datatype «eksempel») for the example files."""
    rows = []
    for path in files:
        rel = path.relative_to(raw_dir).as_posix()
        if path.suffix == ".csv":
            what = ("Eksport fra et spørreskjemaverktøy (én rad per svar) for 25 kommuner: rotete fritekst om kapasitet, "
                    "ett sent dobbeltsvar (Malvik), ett svar som også kom på skjema (Orkland), kontaktinformasjon i "
                    "fritekst. Osen, Namsskogan, Flatanger, Leka og Rindal har ikke svart.")
        else:
            _, _, code, name = path.stem.split("_", 3)
            what = (f"Utfylt tilbakemeldingsskjema fra {code} {name.replace('_', ' ')}, laget med prosjektets "
                    "skjemagenerator og fylt ut av et skript.")
        rows.append({
            "fil": rel, "datatype": "eksempel",
            "kilde": "Eksempeldata laget av tools/make_example_feedback.py (ikke ekte svar)",
            "lisens": "Prosjektets egen lisens (MIT)", "referansedato": DEADLINE.isoformat(),
            "beskrivelse": f"EKSEMPELDATA – ikke ekte svar. {what}",
        })
    return rows


def append_manifest(manifest: Path, rows: list[dict[str, str]], listed_elsewhere: set[str] = frozenset()) -> int:
    """Append rows whose file is not yet listed in any manifest (existing rows are never rewritten); creates the
    manifest file with its header when it does not exist; returns how many rows were added."""
    if not manifest.exists():
        manifest.write_text(",".join(MANIFEST_COLUMNS) + "\n", encoding="utf-8")
    with manifest.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        listed = {r["fil"] for r in reader} | set(listed_elsewhere)
    new = [r for r in rows if r["fil"] not in listed]
    if new:
        text = manifest.read_bytes()
        with manifest.open("a", encoding="utf-8", newline="") as fh:
            if text and not text.endswith(b"\n"):
                fh.write("\n")
            writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            writer.writerows(new)
    return len(new)


def main(argv: list[str] | None = None) -> int:
    """Write the example files and list them in the manifest."""
    parser = argparse.ArgumentParser(description="Lager EKSEMPELDATA for kommunenes tilbakemelding (Trøndelag 2026).")
    parser.add_argument("--data-dir", type=Path, default=None, help="datamappe (standard: prosjektets data/)")
    parser.add_argument("--no-manifest", action="store_true", help=f"ikke legg til rader i data/raw/{EXAMPLE_MANIFEST}")
    args = parser.parse_args(argv)
    data_paths = DataPaths(args.data_dir.resolve()) if args.data_dir else DataPaths()
    files = write_example(data_paths.raw / FOLDER, data_paths)
    # The example batch has its own manifest file, so the existing raw files (other manifests included) stay unchanged.
    listed = set(read_manifest(data_paths)["fil"])
    added = 0 if args.no_manifest else append_manifest(data_paths.raw / EXAMPLE_MANIFEST,
                                                       manifest_rows(files, data_paths.raw), listed)
    print(f"Skrev {len(files)} eksempelfiler i {data_paths.raw / FOLDER}; {added} nye rader i manifestet.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
