"""Content-addressed blob storage (attachments, form media, XLSForm sources)."""
