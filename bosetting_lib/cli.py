"""Command line: ``bosetting run``, ``bosetting validate`` and ``bosetting skjema``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bosetting_lib.errors import BosettingError

DEFAULT_YEAR = 2026


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
        import re

        for pattern, replacement in translations:
            message = re.sub(pattern, replacement, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: feil: {message}\n")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, default=DEFAULT_YEAR, help=f"året anbefalingen gjelder (standard: {DEFAULT_YEAR})")
    parser.add_argument("--params", type=Path, default=None, metavar="FIL", help="parameterfil (standard: params/<år>.yaml)")
    parser.add_argument(
        "--data-dir", type=Path, default=None, metavar="MAPPE",
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
        "run", aliases=["kjor"], help="kjør hele analysen og lag rapporten",
        description=(
            "Kontrollerer inndata, kjører notatbøkene i notebooks/ med papermill og skriver "
            "outputs/<år>/: anbefaling.html (rapporten), anbefaling.xlsx (for IMDi), anbefaling.csv (for maskiner), "
            "manifest.json og de kjørte notatbøkene. "
            "Ved feil skrives ingenting over, og forrige vellykkede rapport står urørt."
        ),
    )
    _add_common(run)
    run.add_argument("--out", type=Path, default=None, metavar="MAPPE", help="mappe for resultater i stedet for outputs/")
    run.add_argument("--timeout", type=int, default=600, metavar="SEKUNDER", help="tidsgrense per notatbokcelle (standard: 600)")
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

    validate = sub.add_parser(
        "validate", aliases=["kontroller"], help="kontroller alle inndata og list alle feil",
        description="Leser alle inndata for året og rapporterer alle problemer på én gang, med fil, rad og kolonne.",
    )
    _add_common(validate)

    skjema = sub.add_parser(
        "skjema", help="lag tilbakemeldingsskjema (Excel) til hver kommune",
        description=("Lager ett utfyllbart Excel-skjema per kommune i fylket, forhåndsutfylt med kommunens tall. "
                     "Svarfristen og svaradressen hentes fra parameterfilen (tilbakemelding.frist og "
                     "tilbakemelding.kontakt); en frist som er passert eller en adresse på example.no stopper "
                     "kjøringen, med mindre det er en prøve (--proeve)."),
    )
    _add_common(skjema)
    skjema.add_argument("--fylke", metavar="NR", help="lag skjemaene for et annet fylke (f.eks. 40), som «run --fylke»")
    skjema.add_argument("--proeve", action="store_true",
                        help="prøvekjøring: godta passert frist og eksempeladresse, og merk skjemaene «PRØVE»")
    skjema.add_argument("--out", type=Path, default=None, metavar="MAPPE", help="mappe for skjemaene (standard: outputs/<år>/skjema/)")
    skjema.add_argument("--frist", type=dt.date.fromisoformat, default=None, metavar="ÅÅÅÅ-MM-DD", help="svarfrist (standard: fra parameterfilen)")
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from bosetting_lib.pipeline import run_pipeline

    if args.alle_fylker:
        from bosetting_lib.national import run_all_counties

        national = run_all_counties(args.year, params_file=args.params, data_dir=args.data_dir, out_dir=args.out,
                                    timeout=args.timeout)
        if national.failed:
            print(f"FEIL: {len(national.failed)} fylker feilet: " + ", ".join(sorted(national.failed)), file=sys.stderr)
            for county, message in sorted(national.failed.items()):
                print(f"  {county}: {message}", file=sys.stderr)
            return 1
        return 0
    county = args.fylke.strip().zfill(2) if args.fylke else None
    result = run_pipeline(args.year, params_file=args.params, data_dir=args.data_dir, out_dir=args.out,
                          timeout=args.timeout, county=county)
    print(f"Ferdig. Rapporten ligger i {result.report}")
    print(f"Tabellen for IMDi (Excel) ligger i {result.report.with_name('anbefaling.xlsx')}")
    print(f"Tabellen for maskiner (CSV) ligger i {result.table}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from bosetting_lib.params import load_params
    from bosetting_lib.paths import DataPaths
    from bosetting_lib.validate import validate_inputs

    params = load_params(args.params, year=args.year)
    data_paths = DataPaths(args.data_dir.resolve()) if args.data_dir else DataPaths()
    summary = validate_inputs(params, data_paths)
    print(f"Alle inndata for {args.year} er i orden ({summary}).")
    return 0


def _cmd_skjema(args: argparse.Namespace) -> int:
    from bosetting_lib.feedback_round import write_county_forms

    county = args.fylke.strip().zfill(2) if args.fylke else None
    paths = write_county_forms(args.year, params_file=args.params, data_dir=args.data_dir, out_dir=args.out,
                               deadline=args.frist, county=county, test_run=args.proeve)
    print(f"Laget {len(paths)} skjema i {paths[0].parent if paths else args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 an error in the inputs or the run, 2 wrong usage)."""
    args = build_parser().parse_args(argv)
    commands = {"run": _cmd_run, "kjor": _cmd_run, "validate": _cmd_validate, "kontroller": _cmd_validate,
                "skjema": _cmd_skjema}
    try:
        return commands[args.command](args)
    except BosettingError as exc:
        print(f"FEIL: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
