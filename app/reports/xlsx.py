"""A report as an XLSX workbook (owner: h-present; stub until merged)."""


def write(document, target, lang="zh"):
    """Write the workbook to `target` (a path or a binary file object)."""
    raise NotImplementedError
