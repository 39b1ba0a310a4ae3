"""The documents' text patterns take exactly what the server's checks take (kit/validate.py and
handover/inputs.py), on any text: so a generated client's own validation agrees with the server."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from finite.handover import inputs
from finite.kit.errors import AppError
from finite.kit.validate import (
    CLEAN_TEXT_PATTERN,
    EMAIL_PATTERN,
    OPTIONAL_TEXT_PATTERN,
    TEXT_PATTERN,
    URL_PATTERN,
    normalize_email,
)

BLANKS = "\t\n\x0b\x0c\r\x1c\x1f \x85\xa0\u2028\u3000\ufeff"
# Text made mostly of what the rules turn on: blanks, control characters, @ . / : [ ] and letters.
TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from(BLANKS + "\x00\x01\x07\x0e\x1b\x7f\x80\x9f@./:?#[]hHtTpPsS"),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)
URLISH = st.builds(
    lambda head, tail: head + tail, st.sampled_from(["http://", "HTTPS://", " https://"]), TRICKY
)
EMAILISH = st.builds(lambda a, b, c: f"{a}@{b}.{c}", TRICKY, TRICKY, TRICKY)


def takes(check: Callable[[str], object], value: str) -> bool:
    try:
        check(value)
    except AppError:
        return False
    return True


CASES: dict[str, tuple[str, Callable[[str], object]]] = {
    "clean text": (CLEAN_TEXT_PATTERN, lambda v: inputs.title("f", v, 10_000)),
    "optional text": (OPTIONAL_TEXT_PATTERN, lambda v: inputs.optional_title("f", v, 10_000)),
    "free text": (TEXT_PATTERN, lambda v: inputs.text("f", v)),
    "url": (URL_PATTERN, lambda v: inputs.url("f", v)),
    "email": (EMAIL_PATTERN, lambda v: normalize_email("f", v)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=400, deadline=None)
@given(value=st.one_of(TRICKY, URLISH, EMAILISH))
@example(value=" a\x1f ")
@example(value="a\x85b@c.d")
@example(value="http://[")
@example(value="http://a\x15b/")
def test_the_pattern_takes_what_the_check_takes(name: str, value: str) -> None:
    pattern, check = CASES[name]
    if name == "url" and "[" in value and re.search(pattern, value) is None:
        return  # an IPv6 literal host is taken but not described
    assert (re.search(pattern, value) is not None) == takes(check, value), repr(value)
