"""The constraints of mlp_lib.settings: what a setting may be, said once; checks, text and choices."""

from dataclasses import dataclass

import numpy as np
import pytest

from mlp_lib.settings import (
    Constraint,
    Flag,
    FloatDType,
    Interval,
    Optional,
    Options,
    Sizes,
    constraints,
    setting,
)


@pytest.mark.parametrize(
    "constraint, value, plain",
    [
        (Interval(int, 1, None), np.int64(3), 3),
        (Interval(int, 0, 27), 27, 27),
        (Interval(float, 0, None, closed="neither"), np.float32(0.5), 0.5),
        (Interval(float, 0, 1, closed="left"), 0, 0.0),
        (Interval(float, 0, 1, closed="right"), 1, 1.0),
        (Options(("mnist", "fashion-mnist")), "mnist", "mnist"),
        (Options({"sgd": 1, "adam": 2}), "adam", "adam"),  # a dict: its keys
        (FloatDType(), np.float64, "float64"),
        (FloatDType(), "float32", "float32"),
        (Flag(), np.bool_(False), False),
        (Sizes(), [64, np.int32(32)], (64, 32)),
        (Optional(Interval(int, 1, None)), None, None),
        (Optional(Interval(int, 1, None)), np.int16(5), 5),
    ],
)
def test_check_returns_the_value_in_its_plain_form(constraint, value, plain):
    checked = constraint.check("x", value)
    assert checked == plain and type(checked) is type(plain)


@pytest.mark.parametrize(
    "constraint, value, message",
    [
        (Interval(int, 1, None), 0, r"^x must be a positive integer, got 0$"),
        (Interval(int, 1, None), True, r"^x must be a positive integer, got True$"),
        (Interval(int, 1, None), 2.0, r"^x must be a positive integer, got 2.0$"),
        (Interval(int, 0, None, hint="try 3"), -1, r"^x must be an integer >= 0, got -1; try 3$"),
        (Interval(int, 0, 27), 28, r"^x must be an integer from 0 to 27, got 28$"),
        (Interval(float, 0, None, closed="neither"), 0, r"^x must be a positive number, got 0$"),
        (Interval(float, 0, None), float("nan"), r"^x must be a number >= 0, got nan$"),
        (Interval(float, 0, None), float("inf"), r"^x must be a number >= 0, got inf$"),
        (Interval(float, 0, 1, closed="left"), 1, r"^x must be a number in \[0, 1\), got 1$"),
        (Interval(float, 0, 1, closed="right"), 0, r"^x must be a number in \(0, 1\], got 0$"),
        (Interval(float, 0, 1), "0.5", r"^x must be a number from 0 to 1, got '0.5'$"),
        (Options(("a", "b")), "c", r"^x must be one of a, b, got 'c'$"),
        (Options(("a", "b")), ["a"], r"^x must be one of a, b, got \['a'\]$"),  # unhashable
        (FloatDType(), "float16", r"^x must be float32 or float64, got 'float16'$"),
        (Flag(), 1, r"^x must be True or False, got 1$"),
        (Sizes(), (), r"^x must be one or more positive integers such as \(512, 256\), got \(\)$"),
        (Sizes(), "512,256", r"^x must be one or more positive integers"),
        (Sizes(), (8, 0), r"^every hidden size must be a positive integer, got \(8, 0\)"),
        (Sizes(), (8, 2.5), r"^every hidden size must be a positive integer, got \(8, 2.5\)"),
        (Optional(Interval(int, 1, None, hint="or None")), 0, r"positive integer, got 0; or None$"),
    ],
)
def test_check_refuses_with_a_message_that_names_the_setting_and_the_value(
    constraint, value, message
):
    with pytest.raises(ValueError, match=message):
        constraint.check("x", value)


@pytest.mark.parametrize(
    "constraint, text, value",
    [
        (Interval(int, 1, None), "128", 128),
        (Interval(float, 0, None, closed="neither"), "5e-4", 5e-4),
        (Options(("constant", "cosine")), "cosine", "cosine"),
        (FloatDType(), "float64", "float64"),
        (Sizes(), "512,256", (512, 256)),
        (Optional(Interval(int, 1, None)), "1000", 1000),
    ],
)
def test_from_text_reads_a_command_line_value(constraint, text, value):
    assert constraint.from_text("x", text) == value


@pytest.mark.parametrize(
    "constraint, text, message",
    [
        (Interval(int, 1, None), "1.5", r"^x must be an integer, got '1.5'$"),
        (Interval(float, 0, None), "fast", r"^x must be a number, got 'fast'$"),
        (Interval(int, 1, None), "0", r"^x must be a positive integer, got 0$"),  # then checked
        (Sizes(), "512 256", r"^x must be comma-separated positive integers such as 512,256"),
        (Sizes(), "512,,256", r"^x must be comma-separated positive integers"),
        (Sizes(), "0,16", r"^every hidden size must be a positive integer, got \(0, 16\)"),
    ],
)
def test_from_text_names_the_setting_when_the_text_is_not_a_value(constraint, text, message):
    with pytest.raises(ValueError, match=message):
        constraint.from_text("x", text)


def test_choices_are_listed_for_options_only():
    assert Options({"sgd": 1, "adam": 2}).choices == ("sgd", "adam")
    assert FloatDType().choices == ("float32", "float64")
    assert Optional(Options(("a", "b"))).choices == ("a", "b")
    assert Interval(int, 1, None).choices is None and Sizes().choices is None
    assert Flag().flag and not Interval(int, 1, None).flag


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Interval(str, 0, 1), TypeError, r"an Interval holds int or float numbers"),
        (lambda: Interval(float, 0, 1, closed="open"), ValueError, r"closed must be one of both"),
        (lambda: Interval(int, 0, None, closed="neither"), ValueError, r"integer intervals"),
        (lambda: setting(1, int, "help"), TypeError, r"a setting needs a Constraint"),
    ],
)
def test_a_constraint_that_makes_no_sense_is_refused_when_written(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_constraints_lists_the_fields_made_with_setting():
    @dataclass(frozen=True)
    class Settings:
        epochs: int = setting(5, Interval(int, 1, None), "passes", "N")
        name: str = "not a setting"

    (field_constraint,) = constraints(Settings).values()
    assert list(constraints(Settings)) == ["epochs"] and isinstance(field_constraint, Constraint)
    assert repr(field_constraint) == "Interval(int, 1, None, closed='both')"
    assert Settings().epochs == 5
