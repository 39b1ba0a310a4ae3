"""The client page: what a pack's emailed link opens (/p/{token}), with no account."""
