"""The tolerant capacity parser: real-looking answers, and that every doubtful one is flagged."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bosetting_lib.feedback.capacity_text import CONTACT_REPLACEMENT, parse_capacity, remove_contact_info

# (answer, min, max, declines, same_as_last_year, uncertain, em, a word the note must contain when flagged)
CASES = [
    ("15", 15, 15, False, False, False, None, ""),
    ("15 personer", 15, 15, False, False, False, None, ""),
    ("ca. 15 personer", 15, 15, False, False, False, None, ""),
    ("omtrent 15", 15, 15, False, False, False, None, ""),
    ("cirka 15", 15, 15, False, False, False, None, ""),
    ("inntil 30", None, 30, False, False, False, None, ""),
    ("opptil 30", None, 30, False, False, False, None, ""),
    ("Maks. 30 personer", None, 30, False, False, False, None, ""),
    ("kan ikke ta imot flere enn 20", None, 20, False, False, False, None, ""),
    ("20-25", 20, 25, False, False, False, None, ""),
    ("20–25", 20, 25, False, False, False, None, ""),
    ("20 - 25 personer", 20, 25, False, False, False, None, ""),
    ("20 til 25", 20, 25, False, False, False, None, ""),
    ("mellom 10 og 20", 10, 20, False, False, False, None, ""),
    ("minst 10", 10, None, False, False, False, None, ""),
    ("10+", 10, None, False, False, False, None, ""),
    ("ti", 10, 10, False, False, False, None, ""),
    ("tjue", 20, 20, False, False, False, None, ""),
    ("Tjuefem", 25, 25, False, False, False, None, ""),
    ("40 personer i 2026", 40, 40, False, False, False, None, ""),
    ("20 (herav 5 enslige mindreårige)", 20, 20, False, False, False, 5, ""),
    ("inntil 30 personer, herav inntil 5 enslige mindreårige", None, 30, False, False, False, 5, ""),
    ("25 (vedtak i kommunestyret 14.05.2025)", 25, 25, False, False, False, None, ""),
    ("0", 0, 0, True, False, False, None, ""),
    ("nei", 0, 0, True, False, False, None, ""),
    ("Nei, ikke i år", 0, 0, True, False, False, None, ""),
    ("ingen", 0, 0, True, False, False, None, ""),
    ("Ønsker ikke å bosette", 0, 0, True, False, False, None, ""),
    ("0-5", 0, 5, False, False, False, None, ""),
    # flagged: the analyst must look at these
    ("30 inkl. familiegjenforening", 30, 30, False, False, True, None, "familiegjenforente"),
    ("som i fjor", None, None, False, True, True, None, "som i fjor"),
    ("Samme som i fjor", None, None, False, True, True, None, "som i fjor"),
    ("15 voksne og 5 EM", 20, 20, False, False, True, 5, "summerte"),
    ("vet ikke", None, None, False, False, True, None, "avklart"),
    ("avventer kommunestyrevedtak", None, None, False, False, True, None, "avklart"),
    ("Kommunestyret behandler saken 12. mai", None, None, False, False, True, None, "avklart"),
    ("", None, None, False, False, True, None, "ikke oppgitt"),
    ("30?", 30, 30, False, False, True, None, "spørsmålstegn"),
    ("2x15", 30, 30, False, False, True, None, "2x15"),
    ("15/20", 15, 20, False, False, True, None, "alternativer"),
    ("10 eller 15", 10, 15, False, False, True, None, "alternativer"),
    ("ca 60, avhengig av boliger", 60, 60, False, False, True, None, "forbehold"),
    ("10-15, kanskje 20 i 2027", 10, 15, False, False, True, None, "flere tall"),
    ("3 familier", 3, 3, False, False, True, None, "familier"),
    ("50 %", 50, 50, False, False, True, None, "prosent"),
    ("Som anmodet", None, None, False, False, True, None, "anmodningen"),
    ("kun 5 EM", None, None, False, False, True, 5, "mindreårige"),
    ("Ja", None, None, False, False, True, None, "tall"),
    ("-5", 5, 5, False, False, True, None, "negativt"),
    ("5000", 5000, 5000, False, False, True, None, "urimelig"),
    ("20 personer. Kontakt: 922 33 444", 20, 20, False, False, True, None, "kontaktinformasjon"),
    # negation and its scope (issue 15)
    ("ikke kapasitet til mer enn 10", None, 10, False, False, False, None, ""),
    ("Vi har ikke kapasitet til å bosette flere enn 5 personer", None, 5, False, False, False, None, ""),
    ("ønsker ikke å bosette flere enn ti", None, 10, False, False, False, None, ""),
    ("ikke under 10", 10, None, False, False, False, None, ""),
    ("ikke færre enn 8", 8, None, False, False, False, None, ""),
    ("ikke mindre enn 12 personer", 12, None, False, False, False, None, ""),
    ("maks 15", None, 15, False, False, False, None, ""),
    ("opp mot 20", None, 20, False, False, False, None, ""),
    ("opptil 20 inkl. 3 EM", None, 20, False, False, False, 3, ""),
    ("ca. 25", 25, 25, False, False, False, None, ""),
    ("vi sier nei", 0, 0, True, False, False, None, ""),
    ("Kommunen takker nei", 0, 0, True, False, False, None, ""),
    ("Kommunestyret sier nei til bosetting i 2026", 0, 0, True, False, False, None, ""),
    # flagged, never read as a refusal
    ("ingen endring fra i fjor", None, None, False, True, True, None, "som i fjor"),
    ("Ingen endring", None, None, False, True, True, None, "som i fjor"),
    ("ikke behandlet ennå", None, None, False, False, True, None, "avklart"),
    ("Ikke behandlet i kommunestyret", None, None, False, False, True, None, "avklart"),
    ("Kommunestyret har ikke behandlet saken ennå", None, None, False, False, True, None, "avklart"),
    ("ingen vedtak ennå", None, None, False, False, True, None, "avklart"),
    ("avventer politisk behandling", None, None, False, False, True, None, "avklart"),
    ("Saken er under behandling", None, None, False, False, True, None, "avklart"),
    ("0 (ikke behandlet)", None, None, False, False, True, None, "ikke lest som at kommunen sier nei"),
    ("Se vedlegg", None, None, False, False, True, None, "vedlegg"),
    ("jf. vedtak i kommunestyret 12.05.2025: 15", 15, 15, False, False, True, None, "vedtak"),
    ("kan ikke svare nå", None, None, False, False, True, None, "tall"),
    ("ingen kommentar", None, None, False, False, True, None, "tall"),
    ("Vi har ikke tatt stilling", None, None, False, False, True, None, "avklart"),
    ("10 + familiegjenforente", 10, 10, False, False, True, None, "familiegjenforente"),
    ("25 +/- 5", 20, 30, False, False, True, None, "20–30"),
    ("Vi har ikke boliger, men kan ta flere enn 10", 11, None, False, False, True, None, "både nei og et tall"),
]


@pytest.mark.parametrize(("text", "lo", "hi", "declines", "same", "uncertain", "em", "note_word"), CASES,
                         ids=[c[0] or "(tom)" for c in CASES])
def test_parse_capacity(text, lo, hi, declines, same, uncertain, em, note_word):
    got = parse_capacity(text)
    assert (got.min, got.max) == (lo, hi)
    assert got.declines is declines
    assert got.same_as_last_year is same
    assert got.uncertain is uncertain
    assert got.em == em
    assert got.original == text
    if uncertain:
        assert note_word.casefold() in got.note.casefold()
    else:
        assert got.note == ""


def test_at_least_25_phrasings_and_a_third_flagged():
    assert len(CASES) >= 25
    assert sum(c[5] for c in CASES) >= 10


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_answer_is_flagged(missing):
    got = parse_capacity(missing)
    assert (got.min, got.max, got.uncertain, got.original) == (None, None, True, "")


def test_numbers_from_a_number_cell():
    assert (parse_capacity(12).min, parse_capacity(12).max, parse_capacity(12).uncertain) == (12, 12, False)
    assert parse_capacity(12.0).max == 12
    assert parse_capacity(12.5).uncertain and parse_capacity(12.5).max is None


@given(st.integers(min_value=1, max_value=2000))
def test_any_plain_number_is_read_exactly(n):
    got = parse_capacity(str(n))
    assert (got.min, got.max, got.declines, got.uncertain) == (n, n, False, False)


@given(st.text(max_size=60))
def test_never_raises_and_flags_are_consistent(text):
    got = parse_capacity(text)
    assert got.original == text.strip()
    assert got.uncertain == bool(got.note)
    if got.min is not None and got.max is not None:
        assert got.min <= got.max or got.uncertain
    if got.declines:
        assert got.max == 0
    for bound in (got.min, got.max):
        assert bound is None or (isinstance(bound, int) and not math.isnan(bound) and bound >= 0)


@pytest.mark.parametrize("text", [
    "ring 922 33 444", "tlf +47 92233444", "sentralbord 73 00 00 00", "(+47) 73 00 00 00", "0047 922 33 444",
    "mobil 92233444", "92 23 34 44", "kari.nordmann@trondheim.kommune.no", "per (at) frosta.kommune.no",
])
def test_remove_contact_info_finds_phones_and_emails(text):
    cleaned = remove_contact_info(text)
    assert CONTACT_REPLACEMENT in cleaned
    assert not any(ch.isdigit() for ch in cleaned.replace(CONTACT_REPLACEMENT, ""))
    assert "@" not in cleaned


@pytest.mark.parametrize("text", ["20-25", "2025-05-14", "14.05.2025", "inntil 30 personer", "orgnr 974 760 673"])
def test_remove_contact_info_leaves_other_numbers(text):
    assert remove_contact_info(text) == text


@pytest.mark.parametrize("text", ["Ingen øvre grense", "ingen begrensning", "Ubegrenset", "ikke noe tak"])
def test_no_upper_limit_is_no_cap_not_a_refusal(text):
    got = parse_capacity(text)
    assert (got.min, got.max, got.declines, got.no_cap, got.uncertain) == (None, None, False, True, False)


def test_no_upper_limit_with_a_floor_keeps_the_floor():
    got = parse_capacity("minst 10, ingen øvre grense")
    assert (got.min, got.max, got.declines, got.no_cap) == (10, None, False, True)


def test_no_upper_limit_and_a_ceiling_is_flagged():
    got = parse_capacity("ingen øvre grense, men inntil 20 er realistisk")
    assert got.no_cap and got.max == 20 and got.uncertain and "ingen øvre grense" in got.note


@given(st.sampled_from(["ikke behandlet", "avventer", "se vedlegg", "ingen vedtak", "under behandling",
                        "ikke tatt stilling", "kan ikke svare", "ingen kommentar", "vet ikke"]),
       st.sampled_from(["", " ennå", " i kommunestyret", ".", " før 1. juni"]))
def test_pending_or_unclear_answers_are_never_refusals(phrase, tail):
    got = parse_capacity(phrase + tail)
    assert not got.declines and got.uncertain


@pytest.mark.parametrize("text", [
    "922 33 444", "922.33.444", "92233444", "+47 922 33 444", "0047 922 33 444", "0047.922.33.444", "tlf. 73 12 34 56",
    "tlf. 73.12.34.56", "(0047) 73123456", "9223 3444", "922-33-444",
    "navn at kommune.no", "navn (at) kommune dot no", "navn[at]kommune.no", "navn @ kommune . no",
    "navn(at)kommune(punktum)no", "kari.nordmann {at} trondheim.kommune.no",
])
def test_remove_contact_info_norwegian_phone_forms_and_obfuscated_emails(text):
    cleaned = remove_contact_info(f"Kontakt: {text}, inntil 30 i 2026.")
    assert cleaned.startswith("Kontakt: ") and cleaned.endswith(f"{CONTACT_REPLACEMENT}, inntil 30 i 2026.")
    left = cleaned.removeprefix("Kontakt: ").removesuffix(f"{CONTACT_REPLACEMENT}, inntil 30 i 2026.")
    assert left in ("", "tlf. "), f"left behind: {left!r}"


@pytest.mark.parametrize("text", [
    "inntil 30", "i 2026", "5001 Trondheim", "kommunenummer 5001", "14.05.2025", "vedtak 14.05.2025, 25 personer",
    "45 000 000 kroner", "216.518 innbyggere", "12.500.000", "orgnr 974 760 673", "kl. 10 at 10.30", "3.14159265",
    "se www.trondheim.kommune.no", "Trondheim.kommune", "20 - 25", "postnr 7004",
])
def test_remove_contact_info_keeps_ordinary_numbers_and_text(text):
    assert remove_contact_info(text) == text


def test_remove_contact_info_does_not_eat_the_next_sentence():
    assert remove_contact_info("kari@x.no. Ny setning") == f"{CONTACT_REPLACEMENT}. Ny setning"
