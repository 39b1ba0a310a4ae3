"""The handover's PDFs (the completion certificate, the pack export) built the same way: fpdf2
with DejaVu Sans (bundled, fonts/LICENSE) so names in any Latin, Greek or Cyrillic script print
as written, under the organization's brand."""
