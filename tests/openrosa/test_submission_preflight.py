"""Checklist items 27–30: HEAD/GET <base>/submission."""


def test_item_27_head_submission_is_204_with_max_length(collect, app):
    response = collect.head_submission()
    assert response.status_code == 204 and response.data == b""
    assert response.headers["X-OpenRosa-Accept-Content-Length"] == str(app.config["MAX_CONTENT_LENGTH"])
    assert response.headers["X-OpenRosa-Version"] == "1.0"


def test_item_28_advertised_maximum_is_the_enforced_limit(collect, app, simple_form):
    """The app itself enforces exactly what it advertises; the gunicorn config sets no smaller
    body limit (gunicorn has none for bodies) and docs/deployment asks proxies for more."""
    advertised = int(collect.head_submission().headers["X-OpenRosa-Accept-Content-Length"])
    assert advertised == app.config["MAX_CONTENT_LENGTH"]
    from tests.factories import make_instance
    xml = make_instance(values={"name": "x"})
    overhead = 400
    small = collect.submit(xml, files={"photo.jpg": b"x" * (advertised - len(xml) - 2 * overhead)})
    assert small.status_code == 201
    big = collect.submit(make_instance(), files={"photo.jpg": b"x" * advertised})
    assert big.status_code == 413


def test_item_29_head_without_credentials_is_401_with_challenge(client):
    response = client.head("/v1/projects/1/submission", headers={"X-OpenRosa-Version": "1.0"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Digest ")
    root = client.head("/submission", headers={"X-OpenRosa-Version": "1.0"})
    assert root.status_code == 401 and "WWW-Authenticate" in root.headers


def test_item_30_get_submission_is_also_204(collect):
    response = collect.get(f"{collect.base}/submission")
    assert response.status_code == 204 and response.data == b""
