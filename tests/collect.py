"""CollectClient: what ODK Collect sends, over Flask's test client (real HTTP semantics, no
network). Every request carries X-OpenRosa-Version and Collect's 12-hour Date header."""
import io
from urllib.parse import urlsplit

OPENROSA = {"X-OpenRosa-Version": "1.0", "Date": "Sun, 29 Nov 2026 05:30:00 GMT+00:00",
            "User-Agent": "org.odk.collect.android/v2025.3.1 Dalvik/2.1.0"}


class CollectClient:
    def __init__(self, client, base, headers=None):
        self.client = client
        self.base = base
        self.headers = {**OPENROSA, **(headers or {})}

    def _path(self, url):
        """Absolute URLs from documents → path + query for the test client."""
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "") if parts.scheme else url

    def get(self, url, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.get(self._path(url), headers=headers, **kw)

    def head(self, url, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.head(self._path(url), headers=headers, **kw)

    def form_list(self, query=""):
        return self.get(f"{self.base}/formList{query}")

    def head_submission(self, query="?deviceID=collect:abc"):
        return self.head(f"{self.base}/submission{query}")

    def submit(self, xml, files=None, query="?deviceID=collect:abc", headers=None,
               incomplete=False, xml_name="submission.xml", xml_type="text/xml"):
        data = {"xml_submission_file": (io.BytesIO(xml), xml_name, xml_type)}
        for name, content in (files or {}).items():
            data[name] = (io.BytesIO(content), name, "image/jpeg")
        if incomplete:
            data["*isIncomplete*"] = "yes"
        return self.client.post(f"{self.base}/submission{query}", data=data,
                                headers={**self.headers, **(headers or {})},
                                content_type="multipart/form-data")
