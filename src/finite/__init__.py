"""Finite: a self-hostable backend for the Finite CRM API and the Finite Handover API."""

__version__ = "0.1.0"
