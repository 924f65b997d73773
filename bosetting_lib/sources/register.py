"""The municipality register: codes, names and counties per structure (SSB KLASS 131) and translation between them.

A *structure* is the municipality division that applies from a year on: 2017, 2018, 2019, 2020 (valid 2020–2023)
and 2024 (valid from 2024 until a newer file is supplied). ``structure_year(year)`` maps any year to its structure.
"""

from __future__ import annotations

import difflib
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bosetting_lib.errors import BosettingError, InputError, Problem
from bosetting_lib.formatting import format_percent
from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.names import _DASHES, _name_parts, _qualifier_matches, _split_qualifier, normalise_name
from bosetting_lib.sources.cells import STATUS_PRIORITY, clean_header, decode_bytes, read_csv_text

MUNICIPALITY_COLUMNS = ["kommunenummer", "kommune", "offisielt_navn", "fylkesnummer", "fylke"]
REPORT_COLUMNS = ["fra_kode", "fra_navn", "til_kode", "til_navn", "relasjon", "verdi", "status", "regel"]

# Statuses the translation itself sets (documented in docs/data_dictionary.md).
STATUS_INCOMPLETE = "ufullstendig"  # a merged figure lacks one of its parts in the data
STATUS_NOT_ALLOCATED = "ikke fordelt"  # the only part of the target is a split municipality without weights

_MUNI_FILE = re.compile(r"^kommuner_(\d{4})\.csv$")
_TO_LATEST_FILE = re.compile(r"^kommune_til_(\d{4})\.csv$")


class NameMatchError(BosettingError, KeyError):
    """A municipality name that is unknown or ambiguous; the message (Norwegian) says which and suggests names."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownCountyError(BosettingError, KeyError):
    """A county given by number or name that does not exist in the year's structure."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class TranslationResult:
    """Data on the target structure, and a report of every non-1:1 operation (mergers and splits)."""

    data: pd.DataFrame
    report: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPORT_COLUMNS))


def _status_rank(status: str) -> int:
    """Position of a status in the merge priority (unknown texts last)."""
    return STATUS_PRIORITY.index(status) if status in STATUS_PRIORITY else len(STATUS_PRIORITY)


class Register:
    """Municipalities and counties per structure, name matching and code translation."""

    def __init__(
        self,
        municipalities: pd.DataFrame,
        official_names: pd.DataFrame,
        counties: pd.DataFrame,
        *,
        changes: pd.DataFrame | None = None,
        to_latest: tuple[int, pd.DataFrame] | None = None,
        source: str = "",
    ):
        self._m = municipalities.sort_values(["struktur", "kommunenummer"]).reset_index(drop=True)
        self._official = official_names.reset_index(drop=True)
        self._counties = counties.sort_values(["struktur", "fylkesnummer"]).reset_index(drop=True)
        self._changes = changes
        self._to_latest = to_latest
        self.source = source
        self.structures: list[int] = sorted(int(s) for s in self._m["struktur"].unique())
        self._codes: dict[int, frozenset[str]] = {
            s: frozenset(g["kommunenummer"]) for s, g in self._m.groupby("struktur", sort=True)
        }
        self._pairs_cache: dict[tuple[int, int], pd.DataFrame] = {}
        self._step_cache: dict[tuple[int, int], pd.DataFrame] = {}
        self._fits_cache: dict[tuple[str, str], bool] = {}
        self._index_cache: dict[int, _NameIndex] = {}
        self._county_cache: dict[int, dict[str, list[str]]] = {}
        self._municipalities_cache: dict[tuple[int, str | int | None], pd.DataFrame] = {}

    # --- loading ---------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> Register:
        """The register from a reference folder (default: data/raw/reference) with kommuner_<year>.csv files."""
        if path is None:
            path = DataPaths().reference
        folder = Path(path)
        files = sorted(p for p in folder.glob("kommuner_*.csv") if _MUNI_FILE.match(p.name))
        if not files:
            raise InputError(
                Problem(str(folder), expected="minst én fil kommuner_<år>.csv i referansemappen", found="ingen")
            )
        munis, official, problems = [], [], []
        for f in files:
            year = int(_MUNI_FILE.match(f.name).group(1))
            df = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            need = {"kommunenummer", "navn_klass", "navn_norsk", "fylkesnummer", "fylke"}
            if missing := need - set(df.columns):
                problems.append(Problem(str(f), expected=f"kolonnene {', '.join(sorted(need))}",
                                        found=", ".join(df.columns), row=1, column=", ".join(sorted(missing))))
                continue
            munis.append(
                pd.DataFrame(
                    {
                        "struktur": year,
                        "kommunenummer": df["kommunenummer"],
                        "kommune": df["navn_norsk"],
                        "fylkesnummer": df["fylkesnummer"],
                        "fylke": df["fylke"],
                    }
                )
            )
            official.append(pd.DataFrame({"struktur": year, "fra_aar": year, "kommunenummer": df["kommunenummer"],
                                          "offisielt_navn": df["navn_klass"]}))
            for col in df.columns:
                # kommuner_2020.csv carries the 2022 and 2023 names of the same codes
                if m := re.fullmatch(r"navn_klass_v(\d{4})", col):
                    official.append(pd.DataFrame({"struktur": year, "fra_aar": int(m.group(1)),
                                                  "kommunenummer": df["kommunenummer"], "offisielt_navn": df[col]}))
            bad = df.loc[~df["kommunenummer"].str.fullmatch(r"\d{4}"), "kommunenummer"]
            problems += [Problem(str(f), expected="firesifret kommunenummer", found=c, row=int(i) + 2,
                                 column="kommunenummer") for i, c in bad.items()]
        if problems:
            raise InputError(problems)
        m_all = pd.concat(munis, ignore_index=True)
        county_file = folder / "fylker.csv"
        if county_file.exists():
            c = pd.read_csv(county_file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            counties = pd.DataFrame(
                {
                    "struktur": c["struktur"].astype("int64"),
                    "fylkesnummer": c["fylkesnummer"],
                    "fylke": c["fylke"],
                    "offisielt_fylkesnavn": c["fylke_klass104_2024"].where(c["fylke_klass104_2024"] != "", c["fylke"])
                    if "fylke_klass104_2024" in c.columns
                    else c["fylke"],
                }
            )
        else:
            counties = m_all[["struktur", "fylkesnummer", "fylke"]].drop_duplicates()
            counties = counties.assign(offisielt_fylkesnavn=counties["fylke"])
        changes = None
        if (folder / "kommuneendringer.csv").exists():
            changes = pd.read_csv(folder / "kommuneendringer.csv", dtype=str, keep_default_na=False,
                                  encoding="utf-8-sig")
            changes = changes.assign(aar=changes["dato"].str[:4].astype("int64"))
        to_latest = None
        for f in sorted(folder.glob("kommune_til_*.csv")):
            if m := _TO_LATEST_FILE.match(f.name):
                t = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8-sig")
                year = int(m.group(1))
                to_latest = (year, pd.DataFrame({"fra_struktur": t["fra_struktur"].astype("int64"),
                                                 "fra_kode": t["kode"], "til_kode": t[f"kode_{year}"]}))
        return cls(m_all, pd.concat(official, ignore_index=True), counties, changes=changes, to_latest=to_latest,
                   source=str(folder))

    @classmethod
    def from_klass_export(
        cls,
        csv_path: str | Path,
        year: int,
        *,
        base: Register | None = None,
        counties_csv: str | Path | None = None,
    ) -> Register:
        """A register with the structure from a KLASS 131 CSV export for ``year`` added to ``base``.

        ``base`` defaults to the bundled register (when data/raw/reference exists); it supplies plain Norwegian
        names and county names, which a KLASS 131 export lacks. ``counties_csv`` may be a KLASS 104 export.
        """
        if base is None:
            if any(DataPaths().reference.glob("kommuner_*.csv")):
                base = cls.load()
        munis, official = _read_klass_export(Path(csv_path), int(year), base)
        county_names: dict[str, str] = {}
        if counties_csv is not None:
            cm, _ = _read_klass_export(Path(counties_csv), int(year), None, level_digits=2)
            county_names = dict(zip(cm["kommunenummer"], cm["kommune"]))
        fnr = munis["kommunenummer"].str[:2]
        known: dict[str, str] = {}
        if base is not None:
            # the most recent name for each county number, preferring structures up to the export's year
            c = base._counties.assign(_after=base._counties["struktur"] > year)
            c = c.sort_values(["_after", "struktur"], ascending=[False, True])
            known = dict(zip(c["fylkesnummer"], c["fylke"]))
        names = [county_names.get(n) or known.get(n) or f"Fylke {n}" for n in fnr]
        munis = munis.assign(fylkesnummer=fnr, fylke=names, struktur=int(year))
        new_counties = munis[["struktur", "fylkesnummer", "fylke"]].drop_duplicates()
        new_counties = new_counties.assign(offisielt_fylkesnavn=new_counties["fylke"])
        official = official.assign(struktur=int(year), fra_aar=int(year))
        if base is None:
            return cls(munis, official, new_counties, source=str(csv_path))
        keep = base._m["struktur"] != int(year)
        return cls(
            pd.concat([base._m[keep], munis[base._m.columns]], ignore_index=True),
            pd.concat([base._official[base._official["struktur"] != int(year)], official], ignore_index=True),
            pd.concat([base._counties[base._counties["struktur"] != int(year)], new_counties], ignore_index=True),
            changes=base._changes,
            to_latest=base._to_latest,
            source=f"{base.source} + {csv_path}",
        )

    # --- structures, municipalities, counties ----------------------------------------------------------------

    def structure_year(self, year: int) -> int:
        """The structure that applies in ``year`` (e.g. 2022 → 2020, 2026 → 2024)."""
        if isinstance(year, bool) or not isinstance(year, int | str) or not str(year).strip().isdigit():
            raise BosettingError(f"Årstallet må være et heltall, fikk {year!r}.")
        y = int(year)
        earlier = [s for s in self.structures if s <= y]
        if not earlier:
            raise BosettingError(
                f"Registeret har ingen kommuneinndeling for {y}: det dekker {self.structures[0]} og senere. "
                "Legg til en KLASS-fil for året med Register.from_klass_export."
            )
        return earlier[-1]

    def structure_label(self, structure: int) -> str:
        """The years a structure covers, e.g. "2020–2023" or "2024 og senere"."""
        later = [s for s in self.structures if s > structure]
        if not later:
            return f"{structure} og senere"
        return str(structure) if later[0] == structure + 1 else f"{structure}–{later[0] - 1}"

    def municipalities(self, year: int, county: str | int | None = None) -> pd.DataFrame:
        """The municipalities of ``year``'s structure (optionally one county), with names valid in ``year``."""
        # Asked for some twenty times per run with the same few arguments; each caller gets its own copy.
        key = (year, county)
        if key not in self._municipalities_cache:
            self._municipalities_cache[key] = self._municipalities(year, county)
        return self._municipalities_cache[key].copy()

    def _municipalities(self, year: int, county: str | int | None) -> pd.DataFrame:
        s = self.structure_year(year)
        m = self._m[self._m["struktur"] == s]
        names = self._official[(self._official["struktur"] == s) & (self._official["fra_aar"] <= int(year))]
        names = names.sort_values("fra_aar").drop_duplicates("kommunenummer", keep="last")
        out = m.merge(names[["kommunenummer", "offisielt_navn"]], on="kommunenummer", how="left")
        if county is not None:
            out = out[out["fylkesnummer"] == self.county_number(county, year)]
        return out[MUNICIPALITY_COLUMNS].sort_values("kommunenummer").reset_index(drop=True)

    def counties(self, year: int) -> pd.DataFrame:
        """The counties of ``year``'s structure."""
        s = self.structure_year(year)
        c = self._counties[self._counties["struktur"] == s]
        return c[["fylkesnummer", "fylke"]].sort_values("fylkesnummer").reset_index(drop=True)

    def _county_table(self, structure: int) -> dict[str, list[str]]:
        """County number → [plain name, official name, language forms] for a structure (cached)."""
        if structure not in self._county_cache:
            c = self._counties[self._counties["struktur"] == structure]
            self._county_cache[structure] = {
                n: list(dict.fromkeys([f, o, *_name_parts(o)]))
                for n, f, o in zip(c["fylkesnummer"], c["fylke"], c["offisielt_fylkesnavn"])
            }
        return self._county_cache[structure]

    def county_number(self, county: str | int, year: int) -> str:
        """The two-digit number of a county given by number ("50", 50) or name ("Trøndelag")."""
        s = self.structure_year(year)
        table = self._county_table(s)
        text = str(county).strip()
        if text.isdigit():
            if text.zfill(2) in table:
                return text.zfill(2)
        else:
            key = normalise_name(text)
            for number, names in table.items():
                if key in {normalise_name(n) for n in names}:
                    return number
        valid = ", ".join(f"{n} {names[0]}" for n, names in table.items())
        raise UnknownCountyError(
            f"Fant ikke fylket «{county}» i kommuneinndelingen {self.structure_label(s)}. Gyldige fylker: {valid}."
        )

    def county_name(self, county: str | int, year: int) -> str:
        """The plain name of a county given by number or name."""
        return self._county_table(self.structure_year(year))[self.county_number(county, year)][0]

    def county_aliases(self, county: str | int, year: int) -> list[str]:
        """All names a county goes by in ``year``'s structure (plain and official, with Sámi/Kven forms)."""
        return list(self._county_table(self.structure_year(year))[self.county_number(county, year)])

    # --- codes -----------------------------------------------------------------------------------------------

    def is_valid(self, code: str, year: int) -> bool:
        """Whether ``code`` (a four-digit string) is a municipality in ``year``'s structure."""
        return isinstance(code, str) and code in self._codes[self.structure_year(year)]

    def valid_codes(self, structure: int) -> frozenset[str]:
        """The municipality codes of a structure (give the structure's first year, e.g. 2020)."""
        return self._codes[self.structure_year(structure)]

    def valid_in(self, code: str) -> list[int]:
        """The structures in which ``code`` is a municipality."""
        return [s for s in self.structures if code in self._codes[s]]

    def name_of(self, code: str, year: int) -> str:
        """The plain name of a municipality code in ``year``'s structure."""
        m = self._m[(self._m["struktur"] == self.structure_year(year)) & (self._m["kommunenummer"] == code)]
        if m.empty:
            raise KeyError(code)
        return str(m["kommune"].iloc[0])

    def _names(self, structure: int) -> dict[str, str]:
        """Code → plain name in a structure."""
        m = self._m[self._m["struktur"] == structure]
        return dict(zip(m["kommunenummer"], m["kommune"]))

    def describe_invalid_code(self, code: object, year: int, *, structure: int | None = None) -> str:
        """A Norwegian 'expected' text saying why ``code`` is not valid in ``year`` (or in ``structure``)."""
        s = self.structure_year(year) if structure is None else structure
        label = self.structure_label(s)
        text = "" if code is None else str(code).strip()
        if re.fullmatch(r"\d{1,3}", text):
            return (f"et firesifret kommunenummer (tekst, ikke tall); «{text}» har mistet ledende null? "
                    f"mente du «{text.zfill(4)}»")
        if not re.fullmatch(r"\d{4}", text):
            return "et firesifret kommunenummer"
        where = self.valid_in(text)
        if not where:
            return f"et kommunenummer som finnes i kommuneinndelingen {label}; {text} er ukjent"
        older = [w for w in where if w < s]
        desc = ", ".join(f"{self._names(w)[text]} i {self.structure_label(w)}" for w in where)
        if older:
            return (f"et kommunenummer som er gyldig i {label}; {text} er et gammelt nummer "
                    f"({desc}) – bruk et uttrekk med kommuneinndelingen for året")
        return f"et kommunenummer som er gyldig i {label}; {text} gjelder først fra en senere inndeling ({desc})"

    def check_codes(
        self, codes: pd.Series | Iterable[str], year: int, *, file: str | None, column: str = "kommunenummer"
    ) -> list[Problem]:
        """Problems for codes not valid in ``year``; a Series' integer index is taken as the spreadsheet row."""
        series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype="object")
        valid = self._codes[self.structure_year(year)]
        problems = []
        for idx, code in series.items():
            if isinstance(code, str) and code in valid:
                continue
            row = int(idx) if isinstance(codes, pd.Series) and isinstance(idx, numbers.Integral) else None
            problems.append(Problem(file, expected=self.describe_invalid_code(code, year),
                                    found="" if code is None else str(code), row=row, column=column))
        return problems

    def structure_of_codes(self, codes: Iterable[str], year: int, *, latest_year: int | None = None) -> int | None:
        """The structure a year's set of codes is on: the year's own, else a later one up to ``latest_year``.

        SSB republishes older years on the current division (2020 figures under 2024 codes), so a set of codes
        that is wholly valid in a later structure is read as that structure. None when no structure fits.
        """
        wanted = set(codes)
        own = self.structure_year(year)
        if wanted <= self._codes[own]:
            return own
        limit = self.structure_year(latest_year) if latest_year is not None else self.structures[-1]
        for s in sorted((s for s in self.structures if own < s <= limit), reverse=True):
            if wanted <= self._codes[s]:
                return s
        return None

    # --- names -----------------------------------------------------------------------------------------------

    def _code_names(self) -> dict[str, set[str]]:
        """Code → every name it has had in any structure (plain, official, each language form), normalised."""
        if getattr(self, "_code_names_cache", None) is None:
            table: dict[str, set[str]] = {}
            pairs = [*zip(self._m["kommunenummer"], self._m["kommune"]),
                     *zip(self._official["kommunenummer"], self._official["offisielt_navn"])]
            for code, name in pairs:
                if not isinstance(name, str):
                    continue
                base = _split_qualifier(name)[0]
                for form in {name, base, *_name_parts(base)}:
                    if key := normalise_name(form):
                        table.setdefault(str(code), set()).add(key)
            self._code_names_cache = table
        return self._code_names_cache

    def name_fits_code(self, code: str, name: str) -> bool:
        """Whether ``name`` is a name ``code`` has had (historical, official and Sámi/Kven forms count).

        A code the register does not know, or an empty name, fits: those are reported by the code checks.
        """
        # Every row of every file asks again for the same few hundred pairs.
        key = (str(code), name if isinstance(name, str) else str(name))
        if key not in self._fits_cache:
            self._fits_cache[key] = self._name_fits_code(*key)
        return self._fits_cache[key]

    def _name_fits_code(self, code: str, name: str) -> bool:
        known = self._code_names().get(code)
        base = _split_qualifier(str(name).strip())[0]
        if not known or not normalise_name(base):
            return True
        if normalise_name(base) in known:
            return True
        # "Tråante - Trondheim" in the other order, or "Trondheim-Tråante" without spaces
        pieces = [normalise_name(p) for p in re.split(r"\s*-\s*", _DASHES.sub("-", base)) if p.strip()]
        return len(pieces) > 1 and all(p in known for p in pieces)

    def name_mismatch(self, code: str, name: str) -> str | None:
        """A Norwegian 'expected' text when ``name`` contradicts ``code``, else None."""
        if self.name_fits_code(code, name):
            return None
        plain = list(dict.fromkeys(self._m.loc[self._m["kommunenummer"] == code, "kommune"].iloc[::-1]))
        key = normalise_name(_split_qualifier(str(name).strip())[0])
        others = sorted(c for c, names in self._code_names().items() if key in names)
        latest = self._codes[self.structures[-1]]
        now = [c for c in others if c in latest] or others
        before = [c for c in others if c not in now]
        where = (f"; «{name}» er kommunenummer {', '.join(now[:3])}"
                 + (f" (tidligere {', '.join(before[:3])})" if before else "")) if others else ""
        return (f"et navn som hører til kommunenummer {code} ({' / '.join(plain)}){where}. Rett navnet eller "
                "nummeret i filen (eller last ned filen på nytt)")

    def _index(self, structure: int) -> _NameIndex:
        """The name index of a structure (built once)."""
        if structure not in self._index_cache:
            self._index_cache[structure] = _NameIndex.build(self, structure)
        return self._index_cache[structure]

    def code_for_name(self, name: str, year: int, *, county: str | int | None = None) -> str:
        """The code of a municipality name in ``year``'s structure; raises NameMatchError if unknown/ambiguous."""
        s = self.structure_year(year)
        county_codes = self._county_codes(county, year)
        code, expected = self._index(s).lookup(name, county_codes, self._county_label(county, year))
        if code is None:
            raise NameMatchError(f"Kommunenavnet «{name}»: forventet {expected}.")
        return code

    def match_names(
        self,
        names: pd.Series,
        year: int,
        county: str | int | None = None,
        *,
        file: str | None = None,
        column: str = "Kommune",
    ) -> tuple[pd.Series, list[Problem]]:
        """Codes for a Series of names (NA where no match) and one Problem per unknown or ambiguous name.

        The Series' integer index is used as the row number in the problems.
        """
        s = self.structure_year(year)
        county_codes = self._county_codes(county, year)
        label = self._county_label(county, year)
        index = self._index(s)
        codes, problems = [], []
        for idx, name in names.items():
            code, expected = index.lookup(name, county_codes, label)
            codes.append(code)
            if code is None:
                problems.append(Problem(file, expected=expected, found="" if name is None else str(name),
                                        row=int(idx) if isinstance(idx, numbers.Integral) else None, column=column))
        return pd.Series(codes, index=names.index, dtype="str"), problems

    def _county_codes(self, county: str | int | None, year: int) -> frozenset[str] | None:
        """The county's codes in ``year``'s structure, or None for no restriction."""
        if county is None:
            return None
        return frozenset(self.municipalities(year, county)["kommunenummer"])

    def _county_label(self, county: str | int | None, year: int) -> str:
        """Where a name was looked for, for messages ("Trøndelag i kommuneinndelingen 2024 og senere")."""
        s = self.structure_year(year)
        where = f"kommuneinndelingen {self.structure_label(s)}"
        return where if county is None else f"{self.county_name(county, year)} i {where}"

    # --- translation -----------------------------------------------------------------------------------------

    def _step_pairs(self, a: int, b: int) -> pd.DataFrame:
        """Code pairs from structure ``a`` to the next structure ``b``, from the KLASS change table (built once)."""
        if (a, b) not in self._step_cache:
            self._step_cache[(a, b)] = self._build_step_pairs(a, b)
        return self._step_cache[(a, b)]

    def _build_step_pairs(self, a: int, b: int) -> pd.DataFrame:
        codes_a, codes_b = self._codes[a], self._codes[b]
        ch = self._changes
        if ch is not None and not ch.empty and int(ch["aar"].max()) >= b:
            current = pd.DataFrame({"fra_kode": sorted(codes_a), "til_kode": sorted(codes_a)})
            period = ch[(ch["aar"] > a) & (ch["aar"] <= b)]
            for _, step in period.groupby("dato", sort=True):
                step_map = step[["gammel_kode", "ny_kode"]].drop_duplicates()
                moved = current[current["til_kode"].isin(step_map["gammel_kode"])]
                kept = current[~current["til_kode"].isin(step_map["gammel_kode"])]
                moved = moved.merge(step_map, left_on="til_kode", right_on="gammel_kode")
                moved = moved[["fra_kode", "ny_kode"]].rename(columns={"ny_kode": "til_kode"})
                current = pd.concat([kept, moved], ignore_index=True).drop_duplicates()
            if set(current["til_kode"]) != codes_b:
                odd = sorted(set(current["til_kode"]) ^ codes_b)[:10]
                raise BosettingError(
                    f"Endringstabellen (kommuneendringer.csv) stemmer ikke med kommunelistene {a} og {b}: "
                    f"avvik for {', '.join(odd)}."
                )
            return current.reset_index(drop=True)
        if codes_a == codes_b:
            return pd.DataFrame({"fra_kode": sorted(codes_a), "til_kode": sorted(codes_a)})
        raise BosettingError(
            f"Kan ikke oversette kommunenummer fra {a} til {b}: kodelistene er ulike og registeret har ingen "
            "endringstabell for perioden. Legg til KLASS-endringene (kommuneendringer.csv)."
        )

    def code_pairs(self, from_year: int, to_year: int) -> pd.DataFrame:
        """Every (fra_kode, til_kode) link from ``from_year``'s structure to ``to_year``'s."""
        fs, ts = self.structure_year(from_year), self.structure_year(to_year)
        if (fs, ts) in self._pairs_cache:
            return self._pairs_cache[(fs, ts)]
        if fs > ts:
            raise BosettingError(
                f"Kan ikke oversette bakover i tid (fra inndelingen {self.structure_label(fs)} til "
                f"{self.structure_label(ts)})."
            )
        if fs == ts:
            codes = sorted(self._codes[fs])
            pairs = pd.DataFrame({"fra_kode": codes, "til_kode": codes})
        else:
            path = [s for s in self.structures if fs <= s <= ts]
            start = 0
            pairs = pd.DataFrame({"fra_kode": sorted(self._codes[fs]), "til_kode": sorted(self._codes[fs])})
            if self._to_latest is not None:
                latest, table = self._to_latest
                direct = table[table["fra_struktur"] == fs]
                # the direct table knows where borders returned (1534 Haram → 1507 → 1580 is really 1:1)
                if latest in path and fs < latest and not direct.empty:
                    pairs = direct[["fra_kode", "til_kode"]].drop_duplicates().reset_index(drop=True)
                    start = path.index(latest)
            for a, b in zip(path[start:], path[start + 1 :]):
                step = self._step_pairs(a, b)
                pairs = pairs.merge(step.rename(columns={"fra_kode": "_mid"}), left_on="til_kode", right_on="_mid",
                                    suffixes=("_x", ""))[["fra_kode", "til_kode"]].drop_duplicates()
            pairs = pairs.sort_values(["fra_kode", "til_kode"]).reset_index(drop=True)
        self._pairs_cache[(fs, ts)] = pairs
        return pairs

    def code_mapping(self, from_year: int, to_year: int) -> pd.DataFrame:
        """The mapping between two structures with names and the relation (1:1, n:1 merger, 1:n split)."""
        pairs = self.code_pairs(from_year, to_year)
        n_til = pairs.groupby("fra_kode")["til_kode"].transform("nunique")
        n_fra = pairs.groupby("til_kode")["fra_kode"].transform("nunique")
        rel = pd.Series("1:1", index=pairs.index, dtype="str")
        rel = rel.where(n_fra == 1, "n:1 (sammenslåing)").where(n_til == 1, "1:n (deling)")
        fnames = self._names(self.structure_year(from_year))
        tnames = self._names(self.structure_year(to_year))
        return pd.DataFrame(
            {
                "fra_kode": pairs["fra_kode"],
                "fra_navn": pairs["fra_kode"].map(fnames),
                "til_kode": pairs["til_kode"],
                "til_navn": pairs["til_kode"].map(tnames),
                "relasjon": rel,
            }
        )

    def translate(
        self,
        df: pd.DataFrame,
        from_year: int,
        to_year: int,
        *,
        value_col: str = "verdi",
        status_col: str = "status",
        split_weights: pd.DataFrame | Mapping[str, Mapping[str, float]] | None = None,
    ) -> TranslationResult:
        """Put tidy data from ``from_year``'s structure on ``to_year``'s: renumber, sum mergers, split by weights.

        Every column other than kommunenummer, kommune, value and status is a key (e.g. aar, variabel).
        Rules: a merged figure is the sum of its parts; if a part carries a status the sum is NA with the most
        restrictive status (: .. … . - then texts), and if a part is missing from the data it is NA with status
        "ufullstendig". A split municipality is allocated by ``split_weights`` (shares per target summing to 1)
        when given; otherwise it is reported as not allocated and left out of the targets' sums (a target with
        no other part gets NA with status "ikke fordelt"). Weights whose source code belongs only to other
        structures (a split from another reform, e.g. 1507 when translating 2019 data) are not used here, so one
        weights table can cover every split. ``report`` lists every non-1:1 operation.
        """
        fs, ts = self.structure_year(from_year), self.structure_year(to_year)
        data = df.copy()
        if status_col not in data.columns:
            data[status_col] = pd.Series(pd.NA, index=data.index, dtype="str")
        keys = [c for c in data.columns if c not in {"kommunenummer", "kommune", value_col, status_col}]
        problems = self.check_codes(data["kommunenummer"].reset_index(drop=True), from_year, file=None)
        if problems:
            raise InputError([Problem(None, p.expected, p.found, None, p.column) for p in problems])
        data[value_col] = data[value_col].astype("Float64")
        tnames = self._names(ts)
        cols = ["kommunenummer", "kommune", *keys, value_col, status_col]
        if fs == ts:
            out = data.assign(kommune=data["kommunenummer"].map(tnames))[cols]
            return TranslationResult(_sorted(out, keys), _empty_report(keys))

        pairs = self.code_pairs(fs, ts)
        n_til = pairs.groupby("fra_kode")["til_kode"].nunique()
        plan = _Plan(
            keys=keys,
            fnames=self._names(fs),
            tnames=tnames,
            split_sources=set(n_til[n_til > 1].index),
            sources_of=pairs.groupby("til_kode")["fra_kode"].agg(lambda s: sorted(set(s))).to_dict(),
            targets_of=pairs.groupby("fra_kode")["til_kode"].agg(lambda s: sorted(set(s))).to_dict(),
            weights=self._weights(split_weights, pairs, set(n_til[n_til > 1].index)),
        )
        m = data.rename(columns={"kommunenummer": "fra_kode", value_col: "_v", status_col: "_s"})
        m = m.drop(columns=[c for c in ["kommune"] if c in m.columns]).merge(pairs, on="fra_kode")
        is_split = m["fra_kode"].isin(plan.split_sources)
        weighted = m["fra_kode"].isin(plan.weighted)
        alloc = m[is_split & weighted].merge(plan.weights.rename(columns={"andel": "_andel"}),
                                             on=["fra_kode", "til_kode"], validate="many_to_one")
        unalloc = m[is_split & ~weighted]
        parts = pd.concat([m[~is_split].assign(_andel=1.0), alloc], ignore_index=True)
        parts["_v"] = parts["_v"] * parts["_andel"].astype("Float64")

        out, merger_rows = plan.combine(parts)
        out = plan.add_gaps(out, unalloc)
        report_rows = merger_rows + plan.split_rows(pd.concat([alloc, unalloc]))
        result = pd.DataFrame(
            {
                "kommunenummer": out["til_kode"].astype("str"),
                "kommune": out["til_kode"].map(tnames).astype("str"),
                **{k: out[k].astype(data[k].dtype) for k in keys},
                value_col: out["_v"].astype("Float64"),
                status_col: out["_s"].astype("str"),
            }
        )
        report = _empty_report(keys)
        if report_rows:
            report = pd.DataFrame(report_rows, columns=[*keys, *REPORT_COLUMNS]).astype(
                {"verdi": "Float64", "status": "str", **{k: data[k].dtype for k in keys}}
            )
            report = report.sort_values([*keys, "relasjon", "til_kode", "fra_kode"]).reset_index(drop=True)
        return TranslationResult(_sorted(result[cols], keys), report)

    def _weights(
        self,
        split_weights: pd.DataFrame | Mapping[str, Mapping[str, float]] | None,
        pairs: pd.DataFrame,
        split_sources: set[str],
    ) -> pd.DataFrame:
        """Validated split weights as DataFrame[fra_kode, til_kode, andel]."""
        if split_weights is None:
            return pd.DataFrame({"fra_kode": pd.Series(dtype="str"), "til_kode": pd.Series(dtype="str"),
                                 "andel": pd.Series(dtype="float64")})
        if isinstance(split_weights, pd.DataFrame):
            need = {"fra_kode", "til_kode", "andel"}
            if missing := need - set(split_weights.columns):
                raise InputError(Problem(None, expected="fordelingsnøkkel med kolonnene fra_kode, til_kode, andel",
                                         found=", ".join(map(str, split_weights.columns)),
                                         column="split_weights: mangler " + ", ".join(sorted(missing))))
            w = split_weights[["fra_kode", "til_kode", "andel"]].copy()
        else:
            w = pd.DataFrame([(str(f), str(t), a) for f, ts in split_weights.items() for t, a in ts.items()],
                             columns=["fra_kode", "til_kode", "andel"])
        w["fra_kode"] = w["fra_kode"].astype("str")
        w["til_kode"] = w["til_kode"].astype("str")
        w["andel"] = pd.to_numeric(w["andel"], errors="coerce").astype("float64")
        problems = []
        from_codes = set(pairs["fra_kode"])
        other_reform: list[str] = []
        for src, g in w.groupby("fra_kode", sort=True):
            targets = set(pairs.loc[pairs["fra_kode"] == src, "til_kode"])
            if src not in from_codes and self.valid_in(src):
                # weights for a split in another period (a bundled file covers every reform, e.g. 1507 Ålesund
                # in 2024 and 5012 Snillfjord in 2020): not a code of this translation's source structure
                other_reform.append(src)
                continue
            if src not in split_sources:
                problems.append(Problem(None, expected="et kommunenummer som ble delt mellom inndelingene",
                                        found=src, column="split_weights"))
                continue
            if set(g["til_kode"]) != targets:
                problems.append(Problem(None, expected=f"andeler for nøyaktig {', '.join(sorted(targets))}",
                                        found=", ".join(sorted(g["til_kode"])), column=f"split_weights[{src}]"))
            if g["andel"].isna().any() or (g["andel"] < 0).any() or abs(g["andel"].sum() - 1) > 1e-6:
                problems.append(Problem(None, expected="andeler (0–1) som summerer til 1",
                                        found=", ".join(f"{a}" for a in g["andel"]), column=f"split_weights[{src}]"))
        if problems:
            raise InputError(problems)
        return w[~w["fra_kode"].isin(other_reform)].reset_index(drop=True)


@dataclass
class _Plan:
    """What one translation needs to combine parts and describe each non-1:1 operation."""

    keys: list[str]
    fnames: dict[str, str]
    tnames: dict[str, str]
    split_sources: set[str]
    sources_of: dict[str, list[str]]
    targets_of: dict[str, list[str]]
    weights: pd.DataFrame

    @property
    def weighted(self) -> set[str]:
        """Split sources that have weights."""
        return set(self.weights["fra_kode"])

    def combine(self, parts: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
        """Sum parts per target and key; a status or a missing part makes the sum NA. Also the merger report."""
        gkeys = [*self.keys, "til_kode"]
        if parts.empty:
            return pd.DataFrame(columns=[*gkeys, "_v", "_s"]), []
        g = parts.groupby(gkeys, dropna=False, sort=False)
        out = g.agg(_v=("_v", lambda v: v.sum(min_count=1)),
                    _parts=("fra_kode", lambda s: sorted(set(s)))).reset_index()
        ranked = parts[parts["_s"].notna()].assign(_rank=lambda d: d["_s"].map(_status_rank))
        best = ranked.sort_values("_rank", kind="stable").drop_duplicates(gkeys)
        out = out.merge(best[[*gkeys, "_s"]], on=gkeys, how="left")
        # an unweighted split part is reported separately and is not expected in the sum
        expected = {t: [f for f in srcs if f not in self.split_sources or f in self.weighted]
                    for t, srcs in self.sources_of.items()}
        out["_missing"] = [sorted(set(expected[t]) - set(p)) for t, p in zip(out["til_kode"], out["_parts"])]
        has_status = out["_s"].notna()
        incomplete = ~has_status & out["_missing"].map(bool).astype(bool)
        out.loc[has_status | incomplete, "_v"] = pd.NA
        out.loc[incomplete, "_s"] = STATUS_INCOMPLETE
        rows = [self._merger_row(r) for r in out.to_dict("records") if len(self.sources_of[r["til_kode"]]) > 1]
        return out[[*gkeys, "_v", "_s"]], rows

    def _merger_row(self, r: dict) -> dict:
        """The report row for one merged target and key."""
        srcs = self.sources_of[r["til_kode"]]
        if r["_s"] == STATUS_INCOMPLETE:
            rule = ("mangler " + ", ".join(f"{c} {self.fnames[c]}" for c in r["_missing"])
                    + " i dataene: summen er satt til mangler (NA)")
        elif pd.notna(r["_s"]):
            rule = f"en del har status «{r['_s']}»: summen er satt til mangler (NA) med denne statusen"
        else:
            rule = "summert"
            left_out = [c for c in srcs if c in self.split_sources and c not in self.weighted]
            if left_out:
                rule += " uten " + ", ".join(f"{c} {self.fnames[c]}s del (ikke fordelt, se egen rad)"
                                             for c in left_out)
        return {**{k: r[k] for k in self.keys},
                "fra_kode": "+".join(f"{c}(del)" if c in self.split_sources else c for c in srcs),
                "fra_navn": ", ".join(self.fnames[c] for c in srcs), "til_kode": r["til_kode"],
                "til_navn": self.tnames[r["til_kode"]], "relasjon": "n:1 (sammenslåing)", "verdi": r["_v"],
                "status": r["_s"], "regel": rule}

    def split_rows(self, split_parts: pd.DataFrame) -> list[dict]:
        """One report row per split source and key group: allocated by weights, or not allocated."""
        rows = []
        for r in split_parts.drop_duplicates([*self.keys, "fra_kode"]).to_dict("records"):
            src, targets = r["fra_kode"], self.targets_of[r["fra_kode"]]
            if src in self.weighted:
                w = self.weights[self.weights["fra_kode"] == src]
                shares = ", ".join(f"{t} {self.tnames[t]} {format_percent(a)}"
                                   for t, a in zip(w["til_kode"], w["andel"]))
                rule = f"fordelt etter oppgitt fordelingsnøkkel ({shares})"
            else:
                rule = ("ikke fordelt: delt kommune og ingen fordelingsnøkkel (split_weights) er oppgitt; "
                        "tallet er holdt utenfor målkommunenes summer")
            rows.append({**{k: r[k] for k in self.keys}, "fra_kode": src, "fra_navn": self.fnames[src],
                         "til_kode": "+".join(targets), "til_navn": ", ".join(self.tnames[t] for t in targets),
                         "relasjon": "1:n (deling)", "verdi": r["_v"], "status": r["_s"], "regel": rule})
        return rows

    def add_gaps(self, out: pd.DataFrame, unalloc: pd.DataFrame) -> pd.DataFrame:
        """Targets whose only parts are unallocated splits still get a row, so the gap shows in the data."""
        if unalloc.empty:
            return out
        gkeys = [*self.keys, "til_kode"]
        gaps = unalloc[gkeys].drop_duplicates()
        if not out.empty:
            gaps = gaps.merge(out[gkeys].drop_duplicates(), on=gkeys, how="left", indicator=True)
            gaps = gaps[gaps["_merge"] == "left_only"].drop(columns="_merge")
        gaps = gaps.assign(_v=pd.NA, _s=STATUS_NOT_ALLOCATED)
        return pd.concat([out, gaps], ignore_index=True) if not out.empty else gaps


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows by code, then keys."""
    return df.sort_values(["kommunenummer", *keys], kind="stable").reset_index(drop=True)


def _empty_report(keys: list[str]) -> pd.DataFrame:
    """A translation report without rows."""
    return pd.DataFrame({c: pd.Series(dtype="str") for c in [*keys, *REPORT_COLUMNS]}).astype(
        {"verdi": "Float64"}
    )


@dataclass
class _NameIndex:
    """Lookup tables from normalised names to codes for one structure."""

    register: Register
    structure: int
    full: dict[str, set[str]]
    parts: dict[str, set[str]]
    display: dict[str, str]
    county_of: dict[str, str]
    aliases: dict[str, set[str]]

    @classmethod
    def build(cls, register: Register, structure: int) -> _NameIndex:
        """Index every plain name, official name and language form of a structure."""
        m = register._m[register._m["struktur"] == structure]
        official = register._official[register._official["struktur"] == structure]
        full: dict[str, set[str]] = {}
        parts: dict[str, set[str]] = {}
        display = dict(zip(m["kommunenummer"], m["kommune"]))
        county_of = dict(zip(m["kommunenummer"], m["fylke"]))
        aliases: dict[str, set[str]] = {c: {f} for c, f in county_of.items()}
        cnames = register._counties[register._counties["struktur"] == structure]
        official_county = dict(zip(cnames["fylke"], cnames["offisielt_fylkesnavn"]))
        for code, f in county_of.items():
            aliases[code].add(official_county.get(f, f))

        def add(table: dict[str, set[str]], name: str, code: str) -> None:
            key = normalise_name(name)
            if key:
                table.setdefault(key, set()).add(code)

        for code, name in zip(m["kommunenummer"], m["kommune"]):
            add(full, name, code)
        for code, name in zip(official["kommunenummer"], official["offisielt_navn"]):
            base, qualifier = _split_qualifier(name)
            add(full, name, code)
            add(full, base, code)
            if qualifier:
                aliases[code].add(qualifier)
            for p in _name_parts(base):
                add(parts, p, code)
        # the counties predecessors belonged to, so "Våler (Hedm.)" resolves in the Innlandet era too
        for earlier in [s for s in register.structures if s < structure]:
            try:
                pairs = register.code_pairs(earlier, structure)
            except BosettingError:
                continue
            em = register._m[register._m["struktur"] == earlier]
            ecounty = dict(zip(em["kommunenummer"], em["fylke"]))
            for f, t in zip(pairs["fra_kode"], pairs["til_kode"]):
                if t in aliases and f in ecounty:
                    aliases[t].add(ecounty[f])
        return cls(register, structure, full, parts, display, county_of, aliases)

    def lookup(self, raw: object, county_codes: frozenset[str] | None, where: str) -> tuple[str | None, str]:
        """(code, "") for a unique match, else (None, Norwegian 'expected' text for a Problem)."""
        if raw is None or (isinstance(raw, float) and raw != raw) or not str(raw).strip():
            return None, f"et kommunenavn i {where}, ikke en tom celle"
        name = str(raw).strip()
        base, qualifier = _split_qualifier(name)
        key = normalise_name(base)
        cands = set(self.full.get(key, set()))
        if not cands:
            # "Snåsa - Snåase" in the other order, or one language form alone ("Tråante")
            pieces = [normalise_name(p) for p in re.split(r"\s*-\s*", _DASHES.sub("-", base)) if p.strip()]
            found = [self.full.get(p) or self.parts.get(p) for p in pieces]
            if len(pieces) > 1 and all(found):
                common = set.intersection(*map(set, found))
                cands = common
            if not cands:
                cands = set(self.parts.get(key, set()))
        if not cands:
            pool = sorted(c for c in self.display if county_codes is None or c in county_codes)
            keys = {normalise_name(self.display[c]): c for c in pool}
            close = difflib.get_close_matches(key, list(keys), n=3, cutoff=0.6)
            hint = f"; nærmeste gyldige navn: {', '.join(self.display[keys[k]] for k in close)}" if close else ""
            return None, f"et kommunenavn som finnes i {where}{hint}"
        if qualifier:
            fitting = {c for c in cands if _qualifier_matches(qualifier, self.aliases.get(c, set()))}
            if not fitting:
                shown = ", ".join(f"{c} {self.display[c]} ({self.county_of[c]})" for c in sorted(cands))
                return None, f"et fylke i parentesen som passer med kommunen; «{qualifier}» passer ikke med {shown}"
            cands = fitting
        if county_codes is not None:
            inside = cands & county_codes
            if not inside:
                shown = ", ".join(f"{c} {self.display[c]} ({self.county_of[c]})" for c in sorted(cands))
                return None, f"en kommune i {where}; navnet hører til {shown}"
            cands = inside
        if len(cands) > 1:
            shown = ", ".join(f"{c} {self.display[c]} ({self.county_of[c]})" for c in sorted(cands))
            return None, (f"et entydig kommunenavn i {where}; navnet finnes flere steder: {shown} – "
                          "oppgi fylket eller bruk navnet med fylke i parentes")
        return next(iter(cands)), ""


def _read_klass_export(
    path: Path, year: int, base: Register | None, *, level_digits: int = 4
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Municipalities (or counties) from a KLASS CSV export: code;parentCode;level;name;shortName;..."""
    file = str(path)
    decoded, problems = decode_bytes(path.read_bytes(), file=file)
    if decoded is None:
        raise InputError(problems)
    table, problems = read_csv_text(decoded.text, file=file)
    if table is None or problems:
        raise InputError(problems)
    header = [clean_header(h) for h in table.rows[0]]
    lower = [h.casefold() for h in header]
    missing = [c for c in ("code", "name") if c not in lower]
    if missing:
        raise InputError(Problem(file, expected="en KLASS-eksport med kolonnene code og name (code;parentCode;"
                                 "level;name;shortName;...)", found=";".join(header), row=1,
                                 column=", ".join(missing)))
    ci, ni = lower.index("code"), lower.index("name")
    li = lower.index("level") if "level" in lower else None
    si = lower.index("shortname") if "shortname" in lower else None
    codes, names, shorts, bad = [], [], [], []
    for row, rowno in zip(table.rows[1:], table.row_numbers[1:]):
        if len(row) != len(header):
            bad.append(Problem(file, expected=f"{len(header)} felt som i overskriftsraden", found=f"{len(row)} felt",
                               row=rowno))
            continue
        if li is not None and row[li].strip() not in ("", "1"):
            continue
        code, name = row[ci].strip(), " ".join(row[ni].split())
        if re.fullmatch(r"9+", code) or name.casefold().startswith("uoppgitt"):
            continue  # KLASS's "Uoppgitt" is not a municipality
        if not re.fullmatch(rf"\d{{{level_digits}}}", code):
            hint = " (ledende null forsvunnet i Excel?)" if code.isdigit() and len(code) < level_digits else ""
            bad.append(Problem(file, expected=f"{level_digits}-sifret kode{hint}", found=code, row=rowno,
                               column=header[ci]))
            continue
        codes.append(code)
        names.append(name)
        shorts.append(row[si].strip() if si is not None else "")
    if not codes and not bad:
        bad.append(Problem(file, expected="minst én kommune i filen", found="ingen datarader"))
    if bad:
        raise InputError(bad)
    plain = []
    known_by_code: dict[str, list[str]] = {}
    if base is not None:
        km = base._m.sort_values("struktur", ascending=False)
        for c, n in zip(km["kommunenummer"], km["kommune"]):
            known_by_code.setdefault(c, []).append(n)
    known_all = {normalise_name(n) for ns in known_by_code.values() for n in ns}
    for code, name, short in zip(codes, names, shorts):
        stem = _split_qualifier(name)[0]
        forms = _name_parts(stem)
        choice = stem
        if len(forms) > 1:
            by_code = [f for f in forms if f in known_by_code.get(code, [])]
            by_any = [f for f in forms if normalise_name(f) in known_all]
            by_short = [f for f in forms if short and normalise_name(f) == normalise_name(short)]
            picked = by_code or by_short or by_any
            choice = picked[0] if picked else stem
        plain.append(choice)
    munis = pd.DataFrame({"kommunenummer": pd.Series(codes, dtype="str"), "kommune": pd.Series(plain, dtype="str")})
    official = pd.DataFrame({"kommunenummer": pd.Series(codes, dtype="str"),
                             "offisielt_navn": pd.Series(names, dtype="str")})
    return munis, official
