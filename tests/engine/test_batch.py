"""engine.batch.run_cases: the one loop of analyze / export for every kind of case."""

from __future__ import annotations

import pytest

from engine.batch import EXIT_FAILED_INPUTS, EXIT_OK, run_cases
from engine.errors import LoadError


def test_a_bad_case_is_one_line_and_the_batch_goes_on(capsys: pytest.CaptureFixture) -> None:
    done: list[str] = []

    def step(item: str) -> str:
        if item == "b.dcm":
            raise LoadError(item, "truncated pixel data")
        if item == "c.png":
            raise IndexError("index 0 is out of bounds")
        done.append(item)
        return f"{item}: benign"

    code = run_cases(["a.png", "b.dcm", "c.png", "d.png"], step, str, "analysing")
    captured = capsys.readouterr()
    assert code == EXIT_FAILED_INPUTS and done == ["a.png", "d.png"]
    assert captured.out == ""  # stdout stays machine-readable
    lines = captured.err.splitlines()
    assert lines == [
        "[1/4] a.png: benign",
        "lesionlens: error: [2/4] b.dcm: truncated pixel data",
        "lesionlens: error: [3/4] c.png: IndexError: index 0 is out of bounds",
        "[4/4] d.png: benign",
        "lesionlens: error: 2 of 4 input(s) could not be analysed",
    ]


def test_a_clean_batch_exits_zero_and_names_failures_its_own_way(
    capsys: pytest.CaptureFixture,
) -> None:
    assert run_cases([("x.dcm", "case001")], lambda item: item[1], lambda i: i[1], "exporting") == (
        EXIT_OK
    )
    assert capsys.readouterr().err == "[1/1] case001\n"

    def fails(item: tuple[str, str]) -> str:
        raise ValueError("no pixels")

    code = run_cases([("x.dcm", "case001")], fails, lambda i: i[1], "exporting", noun="case(s)")
    err = capsys.readouterr().err
    assert code == EXIT_FAILED_INPUTS and "x.dcm" not in err  # a pseudonym, not the file
    assert "[1/1] case001: ValueError: no pixels" in err
    assert err.endswith("1 of 1 case(s) could not be exported\n")


def test_interrupt_ends_the_batch() -> None:
    def step(item: int) -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_cases([1, 2], step, str, "analysing")
