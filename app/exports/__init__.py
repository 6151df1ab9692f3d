"""Exports: the data's way out, in the shapes ODK tools read, streamed with flat memory.

- fields: a form's export schema (fields, tables, labels) from its versions' XForms
- instances: one submission's XML → one row per table (Central's CSV layout)
- filters: Central's OData $filter subset as SQL conditions (the OData task's)
- reading: submissions read in keyset batches on a connection of its own, scoped
- central_csv: Central's CSV zip / CSV exports of submissions and the entity CSV
- lines: each submission version's CSV cells, kept (export_lines)
- segments: runs of a form's submissions exported once and kept deflated (export_segments)
- deflated: precompressed deflate pieces and the CRC arithmetic that joins them
- zipping: a streaming zip writer with spooled side tables and precompressed pieces
- cooperative: yield to gevent between chunks
"""
