"""An organization's branding (Pro and Agency): the name, accent colour and logo its clients see
on the pack's email, the client page, the certificate and the PDFs."""
