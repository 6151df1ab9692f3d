"""The data dictionary of a set of XLSForms (docs/forms.md): for each form its purpose and who
fills it (from its `about` sheet), the register lists it creates or updates (`entities` sheet),
and every field with its type, Chinese and English labels, conditions, constraint and the
register property it saves to; then its choice lists. One pure function of the workbooks, so
a test can tell when the committed document has fallen behind the forms.
"""
import io
import os
from collections import defaultdict

import openpyxl

ZH, EN = "Chinese (zh)", "English (en)"
COMMAND = "flask --app wsgi forms dictionary forms/*.xlsx --output docs/forms.md"
NO_LABEL = {"calculate", "csv-external", "start", "end", "today", "deviceid"}


def _rows(book, title):
    if title not in book.sheetnames:
        return []
    rows = list(book[title].iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = []
    for values in rows[1:]:
        row = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, values) if h}
        if any(row.values()):
            out.append(row)
    return out


def _cell(text):
    """Markdown table cell: pipes escaped, newlines flattened."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _code(text):
    return f"`{_cell(text)}`" if text else ""


def _both(row, column):
    return row.get(f"{column}::{ZH}", ""), row.get(f"{column}::{EN}", "")


class _Form:
    def __init__(self, filename, data):
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        self.filename = filename
        self.survey = _rows(book, "survey")
        self.choices = _rows(book, "choices")
        self.entities = _rows(book, "entities")
        self.settings = (_rows(book, "settings") or [{}])[0]
        self.about = {r.get("key"): r for r in _rows(book, "about")}
        self.form_id = self.settings.get("form_id") or os.path.splitext(filename)[0]
        self.title = self.settings.get("form_title") or self.form_id

    def saves(self):
        """[(list, property, field path)] of its save_to columns."""
        single = self.entities[0].get("list_name") if len(self.entities) == 1 else None
        out = []
        for path, row in self.fields():
            target = row.get("save_to", "")
            if target:
                list_name, _, prop = target.rpartition("#")
                out.append((list_name or single, prop, path))
        return out

    def fields(self):
        """[(path, row)] in order, groups and repeats included (their end rows are not)."""
        stack, out = [], []
        for row in self.survey:
            kind = row.get("type", "")
            if kind.startswith("end_") or kind in ("end group", "end repeat"):
                if stack:
                    stack.pop()
                continue
            path = "/".join(stack + [row.get("name", "")])
            out.append((path, row))
            if kind.startswith("begin_") or kind.startswith("begin "):
                stack.append(row.get("name", ""))
        return out


def render(paths):
    """docs/forms.md for the XLSForms at `paths` (sorted by file name)."""
    forms = []
    for path in sorted(paths, key=os.path.basename):
        with open(path, "rb") as f:
            forms.append(_Form(os.path.basename(path), f.read()))
    out = ["# The town's forms: data dictionary", "",
           f"Generated from the XLSForms in `forms/` by `{COMMAND}`. Do not edit it by hand: "
           "a test fails when it no longer matches the forms.", "",
           "Every form is bilingual (Chinese is the default language, English the second). "
           "Villages come from `forms/villages.csv`; the register lists (`households.csv`, "
           "`people.csv`, `pregnancies.csv`) are served to each phone holding only the rows of "
           "its own villages.", ""]
    out += _register_section(forms)
    out += ["## Forms", ""]
    for form in forms:
        out.append(f"- [{form.title}](#{form.form_id}) (`{form.form_id}`)")
    out.append("")
    for form in forms:
        out += _form_section(form)
    return "\n".join(out).rstrip("\n") + "\n"


def _register_section(forms):
    written = defaultdict(lambda: defaultdict(list))
    for form in forms:
        for list_name, prop, _path in form.saves():
            if form.form_id not in written[list_name][prop]:
                written[list_name][prop].append(form.form_id)
    out = ["## Register lists and the forms that write them", ""]
    for list_name in sorted(written):
        out += [f"### `{list_name}`", "", "| Property | Written by |", "| --- | --- |"]
        for prop in sorted(written[list_name]):
            out.append(f"| `{prop}` | {', '.join(f'`{f}`' for f in written[list_name][prop])} |")
        out.append("")
    return out


def _entity_sentence(entity):
    name = entity.get("list_name") or entity.get("dataset", "")
    parts = []
    creates = not entity.get("entity_id") or entity.get("create_if")
    if creates:
        parts.append("creates an entity" + (f" when {_code(entity['create_if'])}"
                                            if entity.get("create_if") else ""))
    if entity.get("entity_id"):
        parts.append(f"updates entity {_code(entity['entity_id'])}" +
                     (f" when {_code(entity['update_if'])}" if entity.get("update_if") else ""))
    label = f"; label {_code(entity['label'])}" if entity.get("label") else ""
    return f"- `{name}`: {' and '.join(parts)}{label}"


def _form_section(form):
    purpose, filled_by = form.about.get("purpose", {}), form.about.get("filled_by", {})
    out = [f'<a id="{form.form_id}"></a>', "", f"## {form.title}", "",
           f"`{form.form_id}`, version `{form.settings.get('version', '')}`, file "
           f"`forms/{form.filename}`.", ""]
    if purpose:
        out += [f"- 用途: {purpose.get(f'value::{ZH}', '')}",
                f"- Purpose: {purpose.get(f'value::{EN}', '')}"]
    if filled_by:
        out += [f"- 填写人 / Filled by: {filled_by.get(f'value::{ZH}', '')} / "
                f"{filled_by.get(f'value::{EN}', '')}"]
    out.append("")
    if form.entities:
        out += ["Register:", ""] + [_entity_sentence(e) for e in form.entities] + [""]
    saves = {path: f"{ln}.{prop}" for ln, prop, path in form.saves()}
    out += ["| Field | Type | 中文 | English | Required · relevant | Constraint | Value | Saves to |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for path, row in form.fields():
        zh, en = _both(row, "label")
        hint_zh, hint_en = _both(row, "hint")
        if hint_zh or hint_en:
            zh, en = f"{zh} ({hint_zh})", f"{en} ({hint_en})"
        conditions = []
        if row.get("required"):
            conditions.append("required" if row["required"].lower() in ("yes", "true", "true()")
                              else f"required if {_code(row['required'])}")
        if row.get("relevant"):
            conditions.append(f"if {_code(row['relevant'])}")
        if row.get("choice_filter"):
            conditions.append(f"choices where {_code(row['choice_filter'])}")
        constraint = ""
        if row.get("constraint"):
            msg_zh, msg_en = _both(row, "constraint_message")
            constraint = f"{_code(row['constraint'])}: {_cell(msg_zh)} / {_cell(msg_en)}"
        value = ""
        if row.get("calculation"):
            value = (f"on change of {_code(row['trigger'])}: " if row.get("trigger") else "") + \
                _code(row["calculation"])
        elif row.get("default"):
            value = f"default {_code(row['default'])}"
        if row.get("appearance"):
            value = (value + "; " if value else "") + f"appearance {_code(row['appearance'])}"
        save = f"`{saves[path]}`" if path in saves else ""
        out.append(f"| `{_cell(path)}` | `{_cell(row.get('type', ''))}` | {_cell(zh)} | "
                   f"{_cell(en)} | {'; '.join(conditions)} | {constraint} | {value} | {save} |")
    out.append("")
    lists = defaultdict(list)
    for choice in form.choices:
        lists[choice.get("list_name", "")].append(choice)
    if lists:
        out += ["Choice lists:", ""]
        for name, items in lists.items():
            shown = ", ".join(f"`{_cell(c.get('name', ''))}` {_cell(_both(c, 'label')[0])} / "
                              f"{_cell(_both(c, 'label')[1])}" for c in items)
            out.append(f"- `{name}`: {shown}")
        out.append("")
    return out
