"""Jobs and flows the tests run both through jobflow's own run_locally and through ferry.

`demo_flow()` covers what a jobflow user relies on: nested flows; every OutputReference form
(attribute, index, nested in dicts, lists and an MSONable object, a property of an output model);
output_schema pushdown; a dynamic replace by a generated sub-flow, a detour, an addition,
stop_children, stored_data; an additional store; NaN, datetimes, integral floats, and strings and
dicts that look like ferry references. Every job has a unique name, so outputs can be compared
job by job even where generated jobs get different uuids.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from jobflow import Flow, Response, job
from monty.json import MSONable
from pydantic import BaseModel


@dataclass
class Point(MSONable):
    x: float
    y: float


class Summary(BaseModel):
    value: float
    items: list[float]
    label: str

    @property
    def double(self) -> float:
        return 2 * self.value


@job
def make_numbers(n: int) -> dict:
    return {
        "values": [float(i) for i in range(n)],
        "total": float(sum(range(n))),
        "point": Point(1.0, 2.0),
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5),
        "text": "not a ${{ reference }}",
        "looks_like_ref": {"$ref": "nothing", "path": "a"},
        "nan": float("nan"),
        "integral": [0.0, 2.0],
    }


@job(output_schema=Summary)
def summarize(values: list, label: str) -> Summary:
    return Summary(value=sum(values), items=values, label=label)


@job
def combine(a: float, b: float, c: dict, point: Point, double: float, item: float) -> dict:
    return {
        "sum": a + b + sum(c["list"]) + c["scalar"],
        "point_x": point.x,
        "point_type": type(point).__name__,
        "double": double,
        "item": item,
    }


@job
def echo(**kwargs) -> dict:
    """Returns what it was given, with the type names of its inputs (to see decoding)."""
    return {"given": kwargs, "types": {k: type(v).__name__ for k, v in sorted(kwargs.items())}}


@job
def square(x: float) -> float:
    return x * x


@job
def square_all(values: list) -> Response:
    squares = []
    for i, v in enumerate(values):
        s = square(v)
        s.name = f"square_{i}"
        squares.append(s)
    total = add_all([s.output for s in squares])
    total.name = "add_squares"
    return Response(replace=Flow([*squares, total], output=total.output, name="squares"))


@job
def add_all(values: list) -> float:
    return float(sum(values))


@job
def check(x: float) -> Response:
    note = describe(x)
    note.name = "detour_note"
    return Response(output={"checked": x}, detour=note)


@job
def describe(x: float) -> str:
    return f"value {x}"


@job
def spawn(x: float) -> Response:
    extra = square(x)
    extra.name = "addition_square"
    return Response(output=x, addition=extra, stored_data={"spawned": 1, 2: "an int key"})


@job
def stopper(x: float) -> Response:
    return Response(output=x, stop_children=True)


@job(data="blob")
def big(n: int) -> dict:
    return {"blob": [float(i) for i in range(n)], "n": n}


@job
def total_of(blob: list) -> float:
    return float(sum(blob))


def demo_flow() -> Flow:
    numbers = make_numbers(5)
    numbers.name = "numbers"
    summary = summarize(numbers.output["values"], "five")
    summary.name = "summary"
    inner = Flow([numbers, summary], name="inner")
    combined = combine(
        a=summary.output.value,  # attribute, pushed down (a float field of Summary)
        b=numbers.output["values"][1],  # indexes, resolved in Python (no schema)
        c={"list": [numbers.output["values"][0], numbers.output["total"]], "scalar": 1.0},
        point=Point(numbers.output["total"], 1.0),  # a reference inside an MSONable object
        double=summary.output.double,  # a property of the output model
        item=summary.output.items[2],  # a list index under a schema, pushed down
    )
    combined.name = "combine"
    echoed = echo(
        when=numbers.output["when"],
        nan=numbers.output["nan"],
        text=numbers.output["text"],
        looks=numbers.output["looks_like_ref"],
        integral=numbers.output["integral"],
        literal="a ${{ literal }} string",
        literal_ref={"$ref": "not-a-job"},
        point=numbers.output["point"],
    )
    echoed.name = "echo"
    squares = square_all(numbers.output["values"])
    squares.name = "square_all"
    after_squares = echo(total=squares.output)
    after_squares.name = "after_squares"
    checked = check(summary.output.value)
    checked.name = "check"
    after_check = echo(checked=checked.output["checked"])
    after_check.name = "after_check"
    spawned = spawn(numbers.output["total"])
    spawned.name = "spawn"
    stopped = stopper(1.0)
    stopped.name = "stopper"
    never = echo(x=stopped.output)
    never.name = "never_runs"
    blob = big(4)
    blob.name = "big"
    used = total_of(blob.output["blob"])
    used.name = "total_of_blob"
    outer = Flow(
        [inner, combined, echoed, squares, after_squares, checked, after_check, spawned, stopped, never, blob, used],
        name="demo",
    )
    return outer


@job
def halt() -> Response:
    return Response(stop_jobflow=True)


@job
def is_none(x) -> bool:
    return x is None


@job
def boom() -> float:
    return 1 / 0


@job
def read_env(name: str) -> str | None:
    import os

    return os.environ.get(name)
