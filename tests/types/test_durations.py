"""Durations as the command line's inputs and the console's signal forms read them (aioflyte/types/durations.py)."""

from __future__ import annotations

import pytest

from aioflyte.types.durations import parse_duration


def test_durations_are_read_in_every_form_the_command_line_takes():
    assert parse_duration("PT1H30M") == parse_duration("1:30:00") == parse_duration("90 minutes")
    assert parse_duration(90).total_seconds() == 90 and parse_duration("P1W").days == 7


def test_a_value_that_is_no_duration_is_an_error_naming_it_and_the_forms():
    with pytest.raises(ValueError, match="'soon' is not a duration: expected seconds"):
        parse_duration("soon")
