import datetime
import json
import math

import pytest
from monty.json import MontyDecoder

from ferry_jobflow._json import dumps, escape_literals, to_json
from ferry_jobflow.names import derived_uuid, job_name, parse_job_name


def test_non_finite_floats_and_datetimes_round_trip_through_strict_json():
    value = {"nan": float("nan"), "inf": float("inf"), "ninf": -math.inf, "when": datetime.datetime(2026, 3, 4, 5, 6)}
    text = dumps(value)  # allow_nan=False: a NaN token would make Node's JSON.parse fail
    back = MontyDecoder().process_decoded(json.loads(text))
    assert math.isnan(back["nan"]) and back["inf"] == math.inf and back["ninf"] == -math.inf
    assert back["when"] == datetime.datetime(2026, 3, 4, 5, 6)


def test_integral_floats_keep_their_spelling_and_keys_become_strings():
    assert dumps({1: [1.0, 0.0], "x": 2}) == '{"1": [1.0, 0.0], "x": 2}'


def test_an_object_monty_cannot_encode_is_a_clear_error():
    with pytest.raises(TypeError, match="cannot store a object as JSON"):
        to_json(object())


def test_values_ferry_would_read_as_references_are_wrapped_as_literals():
    value = {"a": "x ${{ b.c }}", "b": {"$ref": "j", "path": "p"}, "c": {"$literal": 1}, "d": ["plain", 1.5]}
    assert escape_literals(value) == {
        "a": {"$literal": "x ${{ b.c }}"},
        "b": {"$literal": {"$ref": "j", "path": "p"}},
        "c": {"$literal": {"$literal": 1}},
        "d": ["plain", 1.5],
    }


def test_job_names_come_from_uuid_and_index_and_parse_back():
    u = "0d7068e1-9b6c-42a1-9174-2ae19878f79f"
    assert job_name(u) == u and job_name(u, 3) == f"{u}-3"
    assert parse_job_name(f"{u}-3") == (u, 3) and parse_job_name(u) == (u, 1)
    with pytest.raises(ValueError, match="cannot be a ferry job name"):
        job_name("has.dot")


def test_derived_uuids_are_stable_and_distinct():
    u = "0d7068e1-9b6c-42a1-9174-2ae19878f79f"
    assert derived_uuid(u, 1, 0) == derived_uuid(u, 1, 0)
    assert len({derived_uuid(u, 1, 0), derived_uuid(u, 1, 1), derived_uuid(u, 2, 0)}) == 3
