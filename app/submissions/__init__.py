"""Submissions: durable, idempotent intake; stored XML, versions (edits) and attachments."""
