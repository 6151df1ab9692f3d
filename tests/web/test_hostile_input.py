"""Query strings a person never sends but anyone can: each is a 400 page, never a 500.
(Found by the console's review: a cursor's id beyond 64 bits, a time zone in a cursor's time,
a day at the end of the calendar.)"""
import pytest

BAD = (
    "/review?after=2026-01-01T00:00:00_99999999999999999999",
    "/review?after=2026-01-01T00:00:00%2B05:00_1",
    "/review?since=0001-01-01",
    "/review?until=9999-12-31",
    "/phones?after=99999999999999999999",
    "/conflicts?after=2026-01-01T00:00:00~e~99999999999999999999",
    "/conflicts?after=2026-01-01T00:00:00%2B05:00~h~1",
)


@pytest.mark.parametrize("url", BAD)
def test_an_out_of_range_cursor_or_day_is_a_400_page(console, url):
    response = console("admin").get(url)
    assert response.status_code == 400, response.get_data(as_text=True)[:400]
    assert "<html" in response.get_data(as_text=True)


def test_the_queue_still_takes_its_own_cursor_and_days(console):
    admin = console("admin")
    for url in ("/review?after=2026-01-01T00:00:00.123456_12", "/review?since=2026-01-01",
                "/conflicts?after=2026-01-01T00:00:00~e~3", "/phones?after=5"):
        assert admin.get(url).status_code == 200, url
