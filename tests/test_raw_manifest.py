"""The raw manifest is manifest.csv plus one manifest_<batch>.csv per later batch; together they list every file once."""

from bosetting_lib.config.paths import DataPaths
from bosetting_lib.sources.raw_manifest import check_manifest, manifest_files, read_manifest

HEADER = "fil,datatype,kilde,lisens,referansedato,beskrivelse\n"


def test_bundled_manifests_list_every_raw_file_once(data_copy):
    paths = DataPaths(data_copy)
    assert [p.name for p in manifest_files(paths)][0] == "manifest.csv"
    assert check_manifest(paths) == []
    manifest = read_manifest(paths)
    assert not manifest["fil"].duplicated().any()
    assert set(manifest.loc[manifest["datatype"] == "eksempel", "manifestfil"]) == {
        "manifest_tilbakemeldinger_eksempel.csv", "manifest_fylket_eksempel.csv"}


def test_a_new_batch_is_described_in_its_own_manifest_file(data_copy):
    paths = DataPaths(data_copy)
    (data_copy / "raw" / "ssb" / "ny_tabell.csv").write_text("x\n", encoding="utf-8")
    problems = check_manifest(paths)
    assert [p.found for p in problems] == ["ingen rad"] and "ssb/ny_tabell.csv" in problems[0].expected
    (data_copy / "raw" / "manifest_ny.csv").write_text(
        HEADER + "ssb/ny_tabell.csv,ekte,SSB,NLOD 2.0,2026-01-01,Ny tabell\n", encoding="utf-8")
    assert check_manifest(paths) == []


def test_a_file_listed_twice_is_refused_with_both_places(data_copy):
    paths = DataPaths(data_copy)
    (data_copy / "raw" / "manifest_dobbel.csv").write_text(
        HEADER + "ssb/07459_folkemengde_kommuner_2020_2026.csv,ekte,SSB,NLOD 2.0,2026-01-01,igjen\n", encoding="utf-8")
    problems = check_manifest(paths)
    assert len(problems) == 1
    text = str(problems[0])
    assert "manifest_dobbel.csv, rad 2, kolonne «fil»" in text and "står også i manifest.csv" in text
