"""`bosetting hent`: SSB's PxWebApi 2 requests, recorded answers replayed, offline message, nothing half-written."""

from __future__ import annotations

import http.server
import json
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from bosetting_lib.errors import BosettingError
from bosetting_lib.run.fetch_round import fetch_year
from bosetting_lib.steps.ingest import read_all
from bosetting_lib.config.params import load_params
from bosetting_lib.config.paths import PROJECT_ROOT, DataPaths
from bosetting_lib.sources.raw_manifest import MANIFEST_COLUMNS, check_manifest
from bosetting_lib.sources.register import Register
from bosetting_lib.sources.ssb_api import API_BASE, TABLES, NetworkError, build_request, read_ssb_table, urllib_fetch

RECORDED = Path(__file__).parent / "fixtures" / "ssb_api"


def telemark_2027(tmp_path: Path) -> Path:
    """Telemark's parameters (population and immigrant share from SSB) moved to 2027."""
    text = (PROJECT_ROOT / "params" / "2026_fylke_40.yaml").read_text(encoding="utf-8")
    path = tmp_path / "2027.yaml"
    path.write_text(text.replace("aar: 2026", "aar: 2027", 1), encoding="utf-8")
    return path


class Recorded:
    """A fetch that answers from the recorded files by table and county, and remembers the URLs."""

    def __init__(self, county: str, broken: str | None = None):
        self.county, self.broken, self.urls = county, broken, []

    def __call__(self, url: str, timeout: float) -> bytes:
        assert timeout > 0
        self.urls.append(url)
        table = re.search(r"/tables/(\d{5})/data", url).group(1)
        if table == self.broken:
            return b'{"version": "2.0", "class": "dataset", "id": ["Region"'  # cut off mid-answer
        name = {"07459": f"07459_fylke{self.county}_2020_2026.json", "09817": "09817_fylke40_2024_2026.json"}[table]
        return (RECORDED / name).read_bytes()


def raw_listing(data_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(data_dir).as_posix(): p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}


def test_request_follows_ssb_pxwebapi_2() -> None:
    regions = ["4001", "4003", "4036"]
    request = build_request(TABLES["innvandrerandel"], regions, 2027)
    parts = urlsplit(request.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{API_BASE}/tables/09817/data"
    assert API_BASE == "https://data.ssb.no/api/pxwebapi/v2"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {"lang": "no", "outputFormat": "json-stat2", "valueCodes[InnvandrKat]": "B",
                     "valueCodes[Landbakgrunn]": "999", "valueCodes[ContentsCode]": "AndelBefolkning",
                     "valueCodes[Region]": "4001,4003,4036", "valueCodes[Tid]": "2024,2025,2026"}
    population = build_request(TABLES["folketall"], regions, 2027)
    assert population.years == tuple(range(2020, 2027))  # 1 January 2026 is the newest figure in spring 2026
    assert "valueCodes[Kjonn]" not in population.url and "valueCodes[Alder]" not in population.url  # eliminated
    assert "Tid=2020,2021,2022,2023,2024,2025,2026" in population.query


def test_fetch_writes_new_files_with_manifest_and_the_pipeline_reads_them(data_copy: Path, tmp_path: Path) -> None:
    params_file = telemark_2027(tmp_path)
    before = raw_listing(data_copy)
    fetch = Recorded("40")
    done, skipped = fetch_year(2027, params_file=params_file, data_dir=data_copy, fetch=fetch,
                               today=pd.Timestamp("2026-03-20").date())
    assert [d.key for d in done] == ["folketall", "innvandrerandel"]
    assert len(fetch.urls) == 2 and all(u.startswith(API_BASE) for u in fetch.urls)
    assert set(skipped) == {"fastlege", "sentralitet"}  # named in the parameters, not StatBank queries
    after = raw_listing(data_copy)
    # nothing existing changed; exactly two data files and two manifest batches added
    assert {k: after[k] for k in before} == before
    added = sorted(set(after) - set(before))
    assert added == ["raw/manifest_hent_2027_07459.csv", "raw/manifest_hent_2027_09817.csv",
                     "raw/ssb/07459_folkemengde_fylke40_2020_2026_hentet_2026-03-20.json",
                     "raw/ssb/09817_innvandrerandel_fylke40_2024_2026_hentet_2026-03-20.json"]
    assert after["raw/ssb/07459_folkemengde_fylke40_2020_2026_hentet_2026-03-20.json"] == (
        RECORDED / "07459_fylke40_2020_2026.json").read_bytes()  # stored as downloaded
    manifest = pd.read_csv(data_copy / "raw" / "manifest_hent_2027_09817.csv", dtype=str, keep_default_na=False)
    assert list(manifest.columns) == MANIFEST_COLUMNS and len(manifest) == 1
    row = manifest.iloc[0]
    assert row["fil"] == "ssb/09817_innvandrerandel_fylke40_2024_2026_hentet_2026-03-20.json"
    assert row["datatype"] == "ekte" and "CC BY 4.0" in row["lisens"]
    assert fetch.urls[1] in row["kilde"] and row["referansedato"] == "2026-01-01"
    assert "2026-03-20" in row["beskrivelse"] and "InnvandrKat=B" in row["beskrivelse"]
    paths = DataPaths(data_copy)
    assert check_manifest(paths) == []  # every raw file listed exactly once

    # The pipeline reads the downloaded JSON-stat through the same inputs as the CSV downloads.
    text = params_file.read_text(encoding="utf-8")
    text = text.replace("ssb/07459_folkemengde_kommuner_2020_2026.csv", done[0].file)
    text = text.replace("ssb/09817_innvandrerandel_telemark_2024_2026.csv", done[1].file)
    params_file.write_text(text.replace("totalt: 559", "totalt: 559"), encoding="utf-8")
    result = read_all(load_params(params_file), paths, include_feedback=False)
    csv_population = read_ssb_table(data_copy / "raw/ssb/07459_folkemengde_kommuner_2020_2026.csv",
                                    register=Register.load(), target_year=2027, county="40")
    skien = result.population.set_index(["kommunenummer", "aar"])["verdi"]
    assert skien[("4003", 2026)] == csv_population.set_index(["kommunenummer", "aar"])["verdi"][("4003", 2026)]
    share = result.optional["innvandrerandel"].set_index(["kommunenummer", "aar"])
    assert share.loc[("4001", 2025), "verdi"] == 14
    assert pd.isna(share.loc[("4036", 2026), "verdi"]) and share.loc[("4036", 2026), "status"] == ".."  # never 0


def test_second_fetch_never_overwrites(data_copy: Path, tmp_path: Path) -> None:
    params_file = telemark_2027(tmp_path)
    day = pd.Timestamp("2026-03-20").date()
    fetch_year(2027, params_file=params_file, data_dir=data_copy, fetch=Recorded("40"), today=day)
    first = raw_listing(data_copy)
    done, _ = fetch_year(2027, params_file=params_file, data_dir=data_copy, fetch=Recorded("40"), today=day)
    after = raw_listing(data_copy)
    assert {k: after[k] for k in first} == first
    assert done[0].file == "ssb/07459_folkemengde_fylke40_2020_2026_hentet_2026-03-20_2.json"
    assert done[0].manifest.name == "manifest_hent_2027_07459_2.csv"
    assert check_manifest(DataPaths(data_copy)) == []


def test_a_bad_answer_writes_nothing(data_copy: Path, tmp_path: Path) -> None:
    params_file = telemark_2027(tmp_path)
    before = raw_listing(data_copy)
    with pytest.raises(BosettingError) as caught:
        # the first table is fine, the second is cut off: neither may be written
        fetch_year(2027, params_file=params_file, data_dir=data_copy, fetch=Recorded("40", broken="09817"))
    message = str(caught.value)
    assert "09817_innvandrerandel_fylke40" in message and "Ingenting er skrevet" in message
    assert raw_listing(data_copy) == before
    assert not list(data_copy.glob(".hent-*"))  # the temporary folder is gone


def test_an_answer_missing_a_municipality_is_refused(data_copy: Path, tmp_path: Path) -> None:
    params_file = telemark_2027(tmp_path)
    before = raw_listing(data_copy)

    def short(url: str, timeout: float) -> bytes:
        ds = json.loads(Recorded("40")(url, timeout))
        ds["dimension"]["Region"]["category"]["index"].pop("4036")
        ds["dimension"]["Region"]["category"]["label"].pop("4036")
        ds["size"][0] -= 1
        per_region = len(ds["value"]) // (ds["size"][0] + 1)
        ds["value"] = ds["value"][:-per_region]
        ds.pop("status", None)
        return json.dumps(ds).encode()

    with pytest.raises(BosettingError, match=r"mangler 4036"):
        fetch_year(2027, params_file=params_file, data_dir=data_copy, fetch=short)
    assert raw_listing(data_copy) == before


def test_offline_gives_a_clear_norwegian_message_and_writes_nothing(data_copy: Path, tmp_path: Path) -> None:
    params_file = telemark_2027(tmp_path)
    before = raw_listing(data_copy)

    def offline(url: str, timeout: float) -> bytes:
        # the real urllib path, against a local port nothing listens on (no network leaves the machine)
        return urllib_fetch("http://127.0.0.1:9/api/pxwebapi/v2/tables/07459/data", timeout=5)

    with pytest.raises(NetworkError) as caught:
        fetch_year(2027, params_file=params_file, data_dir=data_copy, fetch=offline)
    message = str(caught.value)
    assert message.startswith("Fikk ikke kontakt med SSB (data.ssb.no)") and "Ingenting er skrevet" in message
    assert raw_listing(data_copy) == before


def test_an_http_error_from_ssb_is_explained() -> None:
    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"Ugyldig verdi for Tid: 2026"
            self.send_response(400)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        with pytest.raises(NetworkError, match=r"SSB svarte med HTTP 400 .*Ugyldig verdi for Tid: 2026.*ingenting er skrevet"):
            urllib_fetch(f"http://127.0.0.1:{server.server_port}/tables/07459/data", timeout=5)
    finally:
        thread.join(5)
        server.server_close()


def test_cli_hent_offline(data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    from bosetting_lib import cli
    from bosetting_lib.sources import ssb_api

    def offline(url: str, timeout: float = 1) -> bytes:
        return urllib_fetch("http://127.0.0.1:9/", timeout=5)

    monkeypatch.setattr(ssb_api, "urllib_fetch", offline)
    monkeypatch.setattr("bosetting_lib.run.fetch_round.urllib_fetch", offline)
    before = raw_listing(data_copy)
    status = cli.main(["hent", "--year", "2027", "--params", str(telemark_2027(tmp_path)), "--data-dir", str(data_copy)])
    assert status == 1
    assert "FEIL: Fikk ikke kontakt med SSB" in capsys.readouterr().err
    assert raw_listing(data_copy) == before
