"""Command line: ``bosetting kjor``, ``valider``, ``skjema``, ``hent`` and ``nytt-aar``.

Commands and options are Norwegian, like everything else the analyst types; the first English names
(``run``, ``validate``, ``--year``, ``--params``, ``--data-dir``, ``--out``, ``--timeout``) still work as aliases.
Subcommands import their stage only when called, so ``bosetting --help`` answers at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from bosetting_lib.config.params import DEFAULT_YEAR
from bosetting_lib.errors import BosettingError


class NorwegianHelpFormatter(argparse.HelpFormatter):
    """argparse's help with Norwegian headings ("bruk:", "valg:") instead of "usage:" and "options:"."""

    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, prefix if prefix is not None else "bruk: ")

    def start_section(self, heading):
        heading = {"options": "valg", "optional arguments": "valg", "positional arguments": "argumenter"}.get(heading, heading)
        return super().start_section(heading)


class NorwegianArgumentParser(argparse.ArgumentParser):
    """Errors and help in Norwegian (argparse writes English by default)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", NorwegianHelpFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="vis denne hjelpen og avslutt")

    def error(self, message: str):
        translations = [(r"unrecognized arguments: ", "ukjente valg: "),
                        (r"the following arguments are required: ", "disse må oppgis: "),
                        (r"argument (\S+): invalid choice: ", r"valget \1: ugyldig verdi: "),
                        (r"argument (\S+): invalid (\w+) value: ", r"valget \1: ugyldig verdi: "),
                        (r"argument (\S+): expected one argument", r"valget \1 trenger en verdi"),
                        (r"argument (\S+): not allowed with argument (\S+)", r"valget \1 kan ikke brukes sammen med \2"),
                        (r"\(choose from ", "(velg blant ")]
        for pattern, replacement in translations:
            message = re.sub(pattern, replacement, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: feil: {message}\n")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--aar", "--year", dest="year", type=int, default=DEFAULT_YEAR, metavar="ÅR",
                        help=f"året anbefalingen gjelder (standard: {DEFAULT_YEAR})")
    parser.add_argument("--parametere", "--params", dest="params", type=Path, default=None, metavar="FIL",
                        help="parameterfil (standard: params/<år>.yaml)")
    parser.add_argument(
        "--datamappe", "--data-dir", dest="data_dir", type=Path, default=None, metavar="MAPPE",
        help="datamappe ordnet som data/: leser raw/ og skriver processed/ (standard: prosjektets data/)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands and their help in Norwegian."""
    parser = NorwegianArgumentParser(
        prog="bosetting",
        description="Fylkeskommunens anbefaling om bosetting av flyktninger: fra rådata til rapport.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    run = sub.add_parser(
        "kjor", aliases=["run"], help="kjør hele analysen og lag rapporten",
        description=(
            "Kontrollerer inndata, kjører notatbøkene i notebooks/ med papermill og skriver "
            "outputs/<år>/: anbefaling.html (rapporten), anbefaling.xlsx (for IMDi), anbefaling.csv (for maskiner), "
            "manifest.json og de kjørte notatbøkene. "
            "Ved feil skrives ingenting over, og forrige vellykkede rapport står urørt."
        ),
    )
    _add_common(run)
    _add_trial(run)
    run.add_argument("--ut", "--out", dest="out", type=Path, default=None, metavar="MAPPE",
                     help="mappe for resultater i stedet for outputs/")
    run.add_argument("--tidsgrense", "--timeout", dest="timeout", type=int, default=600, metavar="SEKUNDER",
                     help="tidsgrense per notatbokcelle (standard: 600)")
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--fylke", metavar="NR",
        help="kjør for et annet fylke (f.eks. 46) med de felles kriteriene og fylkets totaltall; "
             "resultatene havner i <år>/<fylkesnummer>/",
    )
    where.add_argument(
        "--alle-fylker", action="store_true",
        help="kjør alle fylkene (parallelt der maskinen har flere kjerner) og lag en nasjonal oversikt i <år>/nasjonalt/",
    )

    backtest = sub.add_parser(
        "etterprov", help="etterprøv modellen mot IMDis faktiske anmodninger (2024 og 2025) og skriv BACKTEST.md",
        description="Lager hvert år bare av det som var kjent våren før, for alle fylker og hele landet, og viser "
                    "modellen ved siden av de enkle referansene (siste anmodning, siste vedtak, blandingen, folketall).",
    )
    backtest.add_argument("--datamappe", "--data-dir", dest="data_dir", type=Path, default=None, metavar="MAPPE")
    backtest.add_argument("--ut", "--out", dest="out", type=Path, default=None, metavar="FIL",
                          help="Markdown-filen (standard: BACKTEST.md i prosjektmappen)")

    validate = sub.add_parser(
        "valider", aliases=["validate"], help="kontroller alle inndata og list alle feil",
        description="Leser alle inndata for året og rapporterer alle problemer på én gang, med fil, rad og kolonne.",
    )
    _add_common(validate)
    _add_trial(validate)

    skjema = sub.add_parser(
        "skjema", help="lag tilbakemeldingsskjema (Excel) til hver kommune",
        description=("Lager ett utfyllbart Excel-skjema per kommune i fylket, forhåndsutfylt med kommunens tall. "
                     "Svarfristen og svaradressen hentes fra parameterfilen (tilbakemelding.frist og "
                     "tilbakemelding.kontakt); en frist som er passert eller en adresse på example.no stopper "
                     "kjøringen, med mindre det er en prøve (--proeve)."),
    )
    _add_common(skjema)
    skjema.add_argument("--fylke", metavar="NR", help="lag skjemaene for et annet fylke (f.eks. 40), som «kjor --fylke»")
    skjema.add_argument("--proeve", action="store_true",
                        help="prøvekjøring: godta passert frist og eksempeladresse, og merk skjemaene «PRØVE»")
    skjema.add_argument("--ut", "--out", dest="out", type=Path, default=None, metavar="MAPPE",
                        help="mappe for skjemaene (standard: outputs/<år>/skjema/)")
    skjema.add_argument("--frist", type=dt.date.fromisoformat, default=None, metavar="ÅÅÅÅ-MM-DD", help="svarfrist (standard: fra parameterfilen)")

    hent = sub.add_parser(
        "hent", help="last ned SSB-tabellene parameterne bruker (folketall, innvandrerandel)",
        description="Laster ned SSB-tabellene for fylkets kommuner gjennom SSBs API (PxWebApi 2, JSON-stat 2) til "
                    "data/raw/ssb/ med en ny manifestfil per tabell. Alt eller ingenting: ved feil skrives ingenting.",
    )
    _add_common(hent)

    new_year = sub.add_parser(
        "nytt-aar", help="lag parameterfilen for et nytt år og vis årets sjekkliste",
        description="Skriver params/<år>.yaml fra fjorårets fil (skriver aldri over) og lister det som må legges inn.",
    )
    new_year.add_argument("aar", type=int, metavar="ÅR", help="det nye året, f.eks. 2027")
    new_year.add_argument("--fra", type=Path, default=None, metavar="FIL", help="fjorårets parameterfil (standard: den nyeste i params/)")
    return parser


def _add_trial(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--proeve", action="store_true",
        help="prøvekjøring: gå videre selv om fjorårets IMDi-tabell mangler, indikatorene er for gamle eller "
             "kriteriene ikke er gjennomgått; rapporten sier det øverst (totaltallet må likevel stå der)",
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from bosetting_lib.run.pipeline import run_pipeline  # deferred: pandas and the whole house load only when used

    if args.alle_fylker:
        from bosetting_lib.run.national import run_all_counties  # deferred: as above

        national = run_all_counties(args.year, params_file=args.params, data_dir=args.data_dir, out_dir=args.out,
                                    timeout=args.timeout)
        if national.failed:
            print(f"FEIL: {len(national.failed)} fylker feilet: " + ", ".join(sorted(national.failed)), file=sys.stderr)
            for county, message in sorted(national.failed.items()):
                print(f"  {county}: {message}", file=sys.stderr)
            return 1
        return 0
    county = args.fylke or None  # a number or a name; run_pipeline resolves it through the register
    result = run_pipeline(args.year, params_file=args.params, data_dir=args.data_dir, out_dir=args.out,
                          timeout=args.timeout, county=county, trial=args.proeve)
    print(f"Ferdig. Rapporten ligger i {result.report}")
    print(f"Tabellen for IMDi (Excel) ligger i {result.report.with_name('anbefaling.xlsx')}")
    print(f"Tabellen for maskiner (CSV) ligger i {result.table}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from bosetting_lib.config.params import load_params  # deferred: pandas and the register load only when used
    from bosetting_lib.config.paths import data_paths_for  # deferred: as above
    from bosetting_lib.run.validate import validate_inputs  # deferred: as above

    data_paths = data_paths_for(args.data_dir)
    params = load_params(args.params, year=args.year)
    warnings: list | None = [] if args.proeve else None
    summary = validate_inputs(params, data_paths, warnings)
    if warnings:
        print(f"Prøvekjøring: inndata for {args.year} kan leses ({summary}), men dette mangler eller er for gammelt:")
        for warning in warnings:
            print(f"  - {warning}")
        return 0
    print(f"Alle inndata for {args.year} er i orden ({summary}).")
    return 0


def _cmd_skjema(args: argparse.Namespace) -> int:
    from bosetting_lib.run.feedback_round import write_county_forms  # deferred: openpyxl loads only when used

    county = args.fylke.strip().zfill(2) if args.fylke else None
    paths = write_county_forms(args.year, params_file=args.params, data_dir=args.data_dir, out_dir=args.out,
                               deadline=args.frist, county=county, test_run=args.proeve,
                               notice=lambda text: print(f"MERK: {text}", file=sys.stderr))
    print(f"Laget {len(paths)} skjema i {paths[0].parent if paths else args.out}")
    return 0


def _cmd_hent(args: argparse.Namespace) -> int:
    from bosetting_lib.run.fetch_round import fetch_year, summary_lines  # deferred: loads only for this command

    done, skipped = fetch_year(args.year, params_file=args.params, data_dir=args.data_dir)
    print("\n".join(summary_lines(done, skipped, (args.params or Path(f"params/{args.year}.yaml")).name)))
    return 0


def _cmd_new_year(args: argparse.Namespace) -> int:
    from bosetting_lib.sources.freshness import expected_imdi_file  # deferred: loads only for this command
    from bosetting_lib.run.new_year import checklist, write_new_year  # deferred: loads only for this command
    from bosetting_lib.config.params import load_params  # deferred: loads only for this command

    target = write_new_year(args.aar, source=args.fra)
    params = load_params(target, allow_missing_total=True)
    print("\n".join(checklist(args.aar, target, expected_imdi_file(params, args.aar - 1))))
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from bosetting_lib.config.paths import PROJECT_ROOT  # deferred: loads only for this command
    from bosetting_lib.run.etterprov import national_lines, run_backtest, write_backtest_markdown  # deferred: as above

    table = run_backtest(args.data_dir)
    print("\n".join(national_lines(table)))
    target = args.out or PROJECT_ROOT / "BACKTEST.md"
    write_backtest_markdown(table, target)
    table.to_csv(Path(target).with_suffix(".csv"), index=False, lineterminator="\n", float_format="%.4f")
    print(f"Skrev {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 an error in the inputs or the run, 2 wrong usage)."""
    args = build_parser().parse_args(argv)
    commands = {"etterprov": _cmd_backtest, "kjor": _cmd_run, "run": _cmd_run, "valider": _cmd_validate,
                "validate": _cmd_validate, "skjema": _cmd_skjema, "hent": _cmd_hent, "nytt-aar": _cmd_new_year}
    try:
        return commands[args.command](args)
    except BosettingError as exc:
        print(f"FEIL: {exc}", file=sys.stderr)
        return getattr(exc, "exit_status", 1)
    except KeyboardInterrupt:
        print("FEIL: Avbrutt (Ctrl+C). Ingenting er publisert.", file=sys.stderr)
        return 130
    except OSError as exc:
        # A foreseeable file-system fault (a read-only folder, a file open in another program, a path that is a
        # file): a message naming the path, never a traceback.
        print(f"FEIL: {_os_error_text(exc)}", file=sys.stderr)
        return 1


def _os_error_text(exc: OSError) -> str:
    where = exc.filename or "(ukjent sti)"
    other = f" → «{exc.filename2}»" if getattr(exc, "filename2", None) else ""
    why = {PermissionError: "ingen tilgang (skrivebeskyttet mappe, eller en fil som er åpen i et annet program?)",
           FileNotFoundError: "finnes ikke", NotADirectoryError: "er en fil, ikke en mappe",
           IsADirectoryError: "er en mappe, ikke en fil", FileExistsError: "finnes fra før"}.get(
        type(exc), exc.strerror or exc.__class__.__name__)
    return f"Filsystemet sier nei for «{where}»{other}: {why}. Sjekk stien og tilgangen, og prøv igjen."


if __name__ == "__main__":
    sys.exit(main())
