from typing import Optional

from pydantic import BaseModel

from ferry_jobflow.pushdown import format_path, is_plain, pushdown_path


class Inner(BaseModel):
    energy: float


class Doc(BaseModel):
    energy: float
    forces: list[list[float]]
    tags: dict[str, int]
    label: Optional[str] = None
    inner: Inner
    anything: dict
    structure: object = None

    @property
    def doubled(self) -> float:
        return 2 * self.energy


def test_fields_indexes_and_keys_typed_by_the_schema_are_pushed_down():
    assert pushdown_path(Doc, [("a", "energy")]) == ["energy"]
    assert pushdown_path(Doc, [("a", "forces"), ("i", 0), ("i", 2)]) == ["forces", 0, 2]
    assert pushdown_path(Doc, [("a", "forces"), ("i", 1)]) == ["forces", 1]
    assert pushdown_path(Doc, [("a", "tags"), ("i", "x")]) == ["tags", "x"]
    assert pushdown_path(Doc, [("a", "label")]) == ["label"]
    assert pushdown_path(Doc, [("a", "inner"), ("a", "energy")]) == ["inner", "energy"]


def test_anything_that_decodes_to_an_object_or_is_not_typed_stays_in_python():
    assert pushdown_path(Doc, [("a", "inner")]) is None  # a model: decodes to a dict, not Inner
    assert pushdown_path(Doc, [("a", "doubled")]) is None  # a property
    assert pushdown_path(Doc, [("a", "anything"), ("i", "k")]) is None  # untyped dict
    assert pushdown_path(Doc, [("a", "structure")]) is None
    assert pushdown_path(Doc, [("a", "forces"), ("i", -1)]) is None  # negative index
    assert pushdown_path(Doc, [("i", "energy")]) is None  # jobflow: model["energy"] raises
    assert pushdown_path(Doc, [("a", "missing")]) is None
    assert pushdown_path(None, [("a", "energy")]) is None
    assert pushdown_path(Doc, []) is None  # the whole output is a model


def test_plain_types():
    assert is_plain(float) and is_plain(Optional[list[float]]) and is_plain(dict[str, list[int]])
    assert not is_plain(dict) and not is_plain(list) and not is_plain(Inner) and not is_plain(dict[int, float])


def test_paths_are_written_in_ferry_syntax():
    assert format_path(["output", "forces", 0, "a key", "ok_1"]) == 'output.forces[0]["a key"].ok_1'
