"""Named forms for the OpenRosa tests."""
import pytest

from tests.factories import make_xform


@pytest.fixture
def simple_form(publish):
    """`simple` v1: name, village and a photo."""
    return publish(make_xform("simple", "1", title="Simple", binary=["photo"]))


@pytest.fixture
def media_form(publish):
    """`withmedia`: references an image and a CSV; only the image is uploaded."""
    return publish(make_xform("withmedia", "1", title="With media",
                              media=["logo.png", "villages.csv"]),
                   media={"logo.png": b"\x89PNG fake image bytes"})
