"""The rules for devices: sign-in statements, the clock, and enrolment codes."""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid

from app.core import devices as rules

NOW = dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)


def test_a_sign_in_statement_names_its_purpose_person_device_and_moment():
    device = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert rules.sign_in_statement("j.smith", device, "2026-12-08T09:30:00+00:00") == (
        b"aspire-sign-in\nj.smith\n12345678-1234-5678-1234-567812345678\n"
        b"2026-12-08T09:30:00+00:00")
    assert rules.signed_at_text(NOW + dt.timedelta(microseconds=5)) == (
        "2026-12-08T09:30:00.000005+00:00")  # each sign-in's statement its own


def test_only_a_time_in_utc_is_a_signing_moment():
    assert rules.parse_signed_at("2026-12-08T09:30:00+00:00") == NOW
    assert rules.parse_signed_at("2026-12-08T09:30:00Z") == NOW
    for not_one in ("2026-12-08T09:30:00", "2026-12-08T10:30:00+01:00", "yesterday",
                    "2026-12-08T09:30:00+00:00" + " " * 40):
        assert rules.parse_signed_at(not_one) is None, not_one


def test_the_clock_may_be_five_minutes_out_either_way():
    for minutes in (-5, 0, 5):
        assert rules.clock_problem(NOW + dt.timedelta(minutes=minutes), NOW) is None
    for seconds in (-301, 301):
        problem = rules.clock_problem(NOW + dt.timedelta(seconds=seconds), NOW)
        assert problem is not None and "more than 5 minutes" in problem


def test_an_enrolment_code_is_four_groups_of_four_and_at_least_80_bits():
    assert len(rules.CODE_ALPHABET) == len(set(rules.CODE_ALPHABET)) == 32
    assert not set("ILOU") & set(rules.CODE_ALPHABET)
    assert rules.CODE_LENGTH * math.log2(len(rules.CODE_ALPHABET)) >= 80
    codes = {rules.new_enrolment_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", code)
        assert rules.normalised_code(code) == code.replace("-", "")


def test_an_enrolment_code_is_read_back_as_people_type_it():
    assert rules.normalised_code("ab2c-d3ef-gh4j-k5mn") == "AB2CD3EFGH4JK5MN"
    assert rules.normalised_code(" AB2C D3EF\tGH4J K5MN ") == "AB2CD3EFGH4JK5MN"
    assert rules.normalised_code("O0IL-0000-0000-0000") == "0011000000000000"
    for not_one in ("", "AB2C-D3EF-GH4J", "AB2C-D3EF-GH4J-K5MNP", "AB2C-D3EF-GH4J-K5MU",
                    "AB2C-D3EF-GH4J-K5M!", "A" * 100):
        assert rules.normalised_code(not_one) is None, not_one


def test_an_enrolment_code_lasts_one_to_ninety_days():
    assert rules.enrolment_days_problem(1) is None
    assert rules.enrolment_days_problem(rules.ENROLMENT_DAYS) is None
    assert rules.enrolment_days_problem(90) is None
    assert rules.enrolment_days_problem(0) is not None
    assert rules.enrolment_days_problem(91) is not None
