"""A report as plain text for the CLI (owner: h-present; stub until merged)."""


def render(document, lang="zh"):
    return "\n".join(section["zh" if lang == "zh" else "en"] for section in document["sections"])
