"""Every page of the console, found by walking the URL map (so a new page cannot be missed),
opened by the admin in a real browser through gunicorn at phone and desktop size: no serious
or critical axe-core violation, no sideways scroll at 360 px, under 300 KB on first load, and
a screenshot of each (test-output/screenshots/every-*). The pages' own tests drive their
flows; this one proves the whole set meets the bar."""
import pytest

from tests.browser.conftest import axe_violations
from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.web.test_route_policy import _routes, _url, samples  # noqa: F401 - the fixture

pytestmark = pytest.mark.once

#: pages that are files, not HTML (an attachment, the raw XML, an XForm download, a form
#: preview's manifest and media, the exports' downloads)
FILES = ("attachment", "xml", "xform", "manifest", "media", "xlsx", "csv", "zip")
#: pages that run ODK Web Forms (a form's preview): its engine is about 1.5 MB compressed,
#: measured by the browser forms' own tests, so these skip the 300 KB bar and pass the rest
ENGINE_PAGES = ("/preview",)


@SIZES
def test_every_console_page_passes_the_page_checks(browser, console_site, samples, personas,
                                                    app, db, webforms_files, width,
                                                    height):  # noqa: F811
    db.session.rollback()       # reading the samples began a transaction: SQLite's write lock
    urls = sorted({_url(rule, samples) for rule, _d in _routes(app)
                   if "GET" in rule.methods and not rule.rule.endswith(FILES)
                   and not rule.endpoint.endswith(FILES)})
    assert len(urls) >= 20, urls
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "admin", personas["admin"].password)
    for url in urls:
        page.loaded_bytes = 0
        response = page.goto(console_site + url)
        assert response.status == 200, (url, response.status)
        if url.endswith(ENGINE_PAGES):
            # the engine's files still arriving would be counted against the next page
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0, url
            assert not axe_violations(page), url
            continue
        check_page(page, "every" + url.replace("/", "_"))
    page.context.close()
