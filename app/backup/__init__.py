"""Backup and restore: a consistent snapshot of the database with the blobs it refers to, a
manifest of checksums, and the way back (docs/operations.md).

The modules take plain arguments (a SQLAlchemy engine, a blob store, paths) and never import
Flask; app/cli.py's `backup` and `restore` commands call them.
"""


class BackupError(Exception):
    """A backup, restore or check that cannot go on, said in English and in Chinese."""

    def __init__(self, message_en, message_zh):
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
