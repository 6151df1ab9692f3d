"""Webhook URLs a confused admin might paste (review of issue 21): a space, a tab or a line
break inside is refused when the webhook is made or changed (http.client would refuse it at
every delivery, each of which would end dead), with the reason in English and Chinese."""
import pytest

from tests.webhooks.test_api import HOOKS, admin  # noqa: F401 - the admin's headers fixture


@pytest.mark.parametrize("url", ["http://example.org/a b", "http://exa mple.org/",
                                 "http://example.org/a\r\nX-Evil: 1", "http://example.org\t/",
                                 "http://example.org/\x7f"])
def test_a_url_with_spaces_or_control_characters_is_refused_when_made_or_changed(
        client, db, admin, url):  # noqa: F811
    made = client.post(HOOKS, headers=admin, json={"url": url, "events": ["entity.created"]})
    assert (made.status_code, made.json["code"]) == (400, "400.211")
    assert "control characters" in made.json["message"] and made.json["message_zh"]
    good = client.post(HOOKS, headers=admin,
                       json={"url": "http://example.org/a%20b", "events": ["entity.created"]})
    assert good.status_code == 200
    changed = client.patch(f"{HOOKS}/{good.json['id']}", headers=admin, json={"url": url})
    assert (changed.status_code, changed.json["code"]) == (400, "400.211")


def test_surrounding_spaces_are_trimmed_not_refused(client, db, admin):  # noqa: F811
    made = client.post(HOOKS, headers=admin,
                       json={"url": "  http://example.org/x  ", "events": ["entity.created"]})
    assert made.status_code == 200 and made.json["url"] == "http://example.org/x"
