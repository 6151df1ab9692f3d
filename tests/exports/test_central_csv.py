"""app.exports.central_csv's pieces that need no database: names, timestamps, CSV quoting."""
from datetime import datetime

import pytest

from app.db.columns import isoformat
from app.exports import central_csv
from app.exports.fields import Field
from app.exports.instances import Layout

pytestmark = pytest.mark.database_independent


@pytest.mark.parametrize("value", [datetime(2026, 1, 2, 3, 4, 5, 678901), datetime(2026, 1, 2),
                                   datetime(1999, 12, 31, 23, 59, 59, 999999)])
def test_timestamps_are_centrals_shape(value):
    assert central_csv.isoformat(value) == isoformat(value)


def test_file_names_are_sanitized_and_twin_repeats_numbered():
    def field(rel, kind="string"):
        return Field(path="/data" + rel, rel=rel, name=rel.rsplit("/", 1)[1], type=kind, order=0)
    fields = [field("/a"), field("/g1", "structure"), field("/g1/item", "repeat"),
              field("/g1/item/x"), field("/g2", "structure"), field("/g2/item", "repeat"),
              field("/g2/item/y"), field("/solo", "repeat"), field("/solo/z")]
    layout = Layout(fields)
    assert central_csv.table_names('my:form/"1"', layout) == [
        "myform1.csv", "myform1-item~1.csv", "myform1-item~2.csv", "myform1-solo.csv"]
    assert central_csv.sanitize("con") == "" and central_csv.sanitize("a. ") == "a"


def test_csv_quotes_only_what_needs_it_and_ends_rows_with_newline():
    out = central_csv._Bytes()
    table = central_csv._Table(out)
    table.writer.writerow(["plain", "a,b", 'say "hi"', "two\nlines", None, 0, "中文"])
    table.flush(force=True)
    assert b"".join(out.drain()).decode() == \
        'plain,"a,b","say ""hi""","two\nlines",,0,中文\n'
