"""The export's fast CSV lines are byte for byte what csv.writer writes."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from finite.crm.export.csv_format import text_rows_chunk

# Text rich in what CSV must quote, beside plain and non-ASCII characters.
CELLS = st.text(alphabet=st.sampled_from(list('ab ,"\r\n\t=é€')), max_size=8)


def written_by_csv_module(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda width: st.lists(st.lists(CELLS, min_size=width, max_size=width), max_size=6).map(
            lambda rows: (width, rows)
        )
    )
)
def test_every_row_is_written_as_the_csv_module_writes_it(
    shaped: tuple[int, list[list[str]]],
) -> None:
    width, rows = shaped
    assert text_rows_chunk(rows, width) == written_by_csv_module(rows)


def test_rows_needing_quotes_and_plain_rows_mix_in_one_chunk() -> None:
    rows = [
        ["1", "plain", "'=SUM(A1)"],
        ["2", "Acme, Inc.", ""],
        ["3", 'say "hi"', "two\r\nlines"],
        ["4", "", ""],
    ]
    chunk = text_rows_chunk(rows, 3)
    assert chunk == written_by_csv_module(rows)
    assert list(csv.reader(io.StringIO(chunk.decode(), newline=""))) == rows


def test_a_single_empty_cell_is_still_a_row() -> None:
    assert text_rows_chunk([[""]], 1) == b'""\r\n'
    assert list(csv.reader(io.StringIO(text_rows_chunk([[""], ["x"]], 1).decode()))) == [
        [""],
        ["x"],
    ]


def test_no_rows_write_nothing() -> None:
    assert text_rows_chunk([], 3) == b""
