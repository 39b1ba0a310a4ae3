"""Spreadsheet formula injection (OWASP "CSV Injection"): a text cell beginning with one of these
is run as a formula by spreadsheets unless it is prefixed with a single quote."""

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
