"""Lead rows for import tests and the import benchmark's sibling: a CSV text with unique emails."""

from __future__ import annotations


def lead_rows(count: int, bad_every: int = 0) -> tuple[str, list[str], set[int]]:
    """The CSV, each row's email in order, and the file's row numbers (the header is row 1)
    whose email is invalid (every `bad_every`th row; none when 0)."""
    lines = ["name,company,email,phone,value,status"]
    emails: list[str] = []
    bad: set[int] = set()
    for index in range(count):
        row = index + 2
        email = f"lead{index}@example{index % 97}.com"
        if bad_every and (index + 1) % bad_every == 0:
            email = f"lead{index}-at-nowhere"
            bad.add(row)
        emails.append(email)
        lines.append(
            f"Lead {index},Company {index % 500},{email},+1 555 {index:06d},{index}.50,New"
        )
    return "\r\n".join(lines) + "\r\n", emails, bad
