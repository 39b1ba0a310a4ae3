"""Outgoing mail: a message, where it goes (an SMTP server or a folder of .eml files), and
whether a failure is worth trying again."""
