"""The report pages in a real browser (headless chromium): the page and the print view at a
phone's 360×740 and a desk's 1280×800 never scroll sideways, pass axe-core with no serious
or critical violation, print to an A4 PDF with a page per section; a browser logs in with
Digest credentials as the JSON API's clients do.

The real route serves what app.reports.service builds; the rich sample document (every part
of the shape) is rendered by the same views.render_page and handed to the browser at a URL of
the same server, so it loads the served stylesheet and runs under the same headers."""
import pytest

from app.reports import views
from tests.browser.conftest import axe_violations
from tests.reports.present_app import serving_reports
from tests.reports.sample_document import document

SIZES = [(360, 740), (1280, 800)]


@pytest.fixture
def site(app, db, personas, live):
    served = serving_reports(app)
    return served, live(served)


def _context(browser, width, height, **more):
    # axe is injected as a script; the pages' own policy allows none, so the test bypasses it
    return browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True,
                               locale="zh-CN", **more)


def _sample(served, base, page, kind, lang, printing):
    """Show the sample document's page at base + /reports/1/2025-03/sample (same origin)."""
    with served.test_request_context("/reports/1/2025-03"):
        body, hashes = views.render_page(document(kind), lang, printing)
    url = f"{base}/reports/1/2025-03/sample-{kind}-{lang}-{int(printing)}"
    page.route(url, lambda route: route.fulfill(
        status=200, body=body, content_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": views._policy(hashes)}))
    page.goto(url)


def _no_sideways_scroll(page):
    widths = page.evaluate("""() => ({page: document.documentElement.scrollWidth,
        body: document.body.scrollWidth, view: window.innerWidth})""")
    assert widths["page"] <= widths["view"] and widths["body"] <= widths["view"], widths


def _css_loaded(page):
    # the stylesheet came from Doorstep: tables scroll in their own boxes
    assert page.evaluate("getComputedStyle(document.querySelector('.scroll')).overflowX"
                         ) == "auto"


@pytest.mark.parametrize("width, height", SIZES)
@pytest.mark.parametrize("kind, lang", [("town", "zh"), ("village", "en")])
def test_sample_report_fits_and_is_accessible(browser, site, width, height, kind, lang):
    served, base = site
    context = _context(browser, width, height)
    page = context.new_page()
    _sample(served, base, page, kind, lang, printing=False)
    _css_loaded(page)
    _no_sideways_scroll(page)
    assert page.locator("svg[role=img]").count() == 4
    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize("width, height", SIZES)
def test_print_view_fits_and_prints_a4_with_a_page_per_section(browser, site, width, height):
    served, base = site
    context = _context(browser, width, height)
    page = context.new_page()
    _sample(served, base, page, "village", "zh", printing=True)
    _css_loaded(page)
    _no_sideways_scroll(page)
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") + pdf.count(b"/Type /Page/")
    # cover + SRB and charts + 10 sections + 2 lists + amendments, a page each at least
    assert pages >= 15, pages
    context.close()


@pytest.mark.parametrize("width, height", SIZES)
def test_real_route_with_digest_credentials(browser, site, width, height):
    served, base = site
    context = _context(browser, width, height,
                       http_credentials={"username": "admin", "password": "admin-password"})
    page = context.new_page()
    for path in ("/reports/1/2025-03", "/reports/1/2025-03?lang=en&village=dongwan",
                 "/reports/1/2025-03/print"):
        response = page.goto(base + path)
        assert response.status == 200, (path, response.status)
        _css_loaded(page)
        _no_sideways_scroll(page)
        assert axe_violations(page) == [], path
    page.emulate_media(media="print")
    assert page.pdf(format="A4").startswith(b"%PDF")
    context.close()


def test_error_pages_are_accessible(browser, site):
    served, base = site
    context = _context(browser, 360, 740,
                       http_credentials={"username": "admin", "password": "admin-password"})
    page = context.new_page()
    response = page.goto(base + "/reports/1/2025-3?lang=en")
    assert response.status == 400
    assert "YYYY-MM" in page.content()
    _no_sideways_scroll(page)
    assert axe_violations(page) == []
    context.close()
