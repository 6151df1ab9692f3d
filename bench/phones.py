"""A fleet of simulated phones against a real gunicorn server.

Each phone is one of a synthetic town's (app.demo: village workers, group leaders, doctors, the
town officer) plus phones sending a photo form whose attachments must be split over several
requests. A phone follows the Collect protocol: it refreshes its form list, manifests and the
register lists (by hash, as Collect does), sends HEAD /submission and reads the size limit from
the 204, and POSTs each finished form oldest-first, split into parts under that limit with
`*isIncomplete*` on all but the last. It works offline for a while, then sends its queue.

Its link is weak: a request can be cut after a random number of bytes (the phone sees an
error), or the phone can give up waiting after the server got the whole request (the server
stores it; the phone does not know). Either way the form stays in the queue and is resent in
the next session. The ledger records every instance, every attempt, and whether the phone
ever got its 201 (for a split upload: a 201 for every part).

    python bench/phones.py [--people 1500] [--photos 200] [--cut 0.05] [--lost 0.03]
                           [--db sqlite|postgresql|both] [--workers W]
"""
import datetime as dt
import argparse
import hashlib
import http.client
import json
import os
import random
import re
import socket
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PHOTO_FORM = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms">
<h:head><h:title>Household photos</h:title><model odk:xforms-version="1.0.0"><instance>
<data id="household_photos" version="1"><village/><note/><door/><card/><certificate/>
<meta><instanceID/></meta></data></instance>
<bind nodeset="/data/village" type="string"/><bind nodeset="/data/note" type="string"/>
<bind nodeset="/data/door" type="binary"/><bind nodeset="/data/card" type="binary"/>
<bind nodeset="/data/certificate" type="binary"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body><input ref="/data/village"><label>Village</label></input>
<input ref="/data/note"><label>Note</label></input>
<upload ref="/data/door" mediatype="image/*"><label>Door</label></upload>
<upload ref="/data/card" mediatype="image/*"><label>Family card</label></upload>
<upload ref="/data/certificate" mediatype="image/*"><label>Certificate</label></upload>
</h:body></h:html>"""
PHOTO_FIELDS = ("door", "card", "certificate")


@dataclass
class Instance:
    instance_id: str
    form: str
    xml: bytes
    files: dict = field(default_factory=dict)     # name -> bytes


class Ledger:
    """Every instance a phone sent, its attempts, and whether it was acknowledged."""

    def __init__(self):
        self.entries, self.lock = {}, threading.Lock()

    def add(self, phone, instance):
        self.entries[instance.instance_id] = {
            "phone": phone, "form": instance.form, "attempts": [], "acked": False,
            "files": {n: hashlib.sha256(b).hexdigest() for n, b in instance.files.items()}}

    def note(self, instance_id, outcome):
        with self.lock:
            self.entries[instance_id]["attempts"].append(outcome)

    def ack(self, instance_id):
        with self.lock:
            self.entries[instance_id]["acked"] = True

    def unacknowledged(self, n):
        """The first `n` instances never acknowledged, each with its last five outcomes."""
        with self.lock:
            left = [(i, e["attempts"][-5:]) for i, e in self.entries.items() if not e["acked"]]
        return dict(left[:n])

    def acked(self):
        return {i: e for i, e in self.entries.items() if e["acked"]}

    def summary(self):
        attempts = [a for e in self.entries.values() for a in e["attempts"]]
        counts = {}
        for a in attempts:
            counts[a] = counts.get(a, 0) + 1
        return {"instances": len(self.entries), "acked": len(self.acked()),
                "requests": len(attempts), "outcomes": dict(sorted(counts.items()))}

    def save(self, path):
        with open(path, "w") as f:
            json.dump(self.entries, f)


class LinkDown(Exception):
    """The request did not complete as far as the phone can tell."""


class Phone:
    def __init__(self, name, token, port, instances, ledger, rng, cut, lost, batches=6):
        """port: the server's, or a list of several hosts' ports (each session goes to one of
        them at random, as behind a proxy that spreads connections)."""
        self.ports = port if isinstance(port, (list, tuple)) else [port]
        self.name, self.token, self.port = name, token, self.ports[0]
        size = max(1, len(instances) // batches)
        self.pending = list(instances[:size])     # filled, not yet acknowledged, oldest first
        self.unrevealed = list(instances[size:])  # not filled yet: revealed batch by batch
        self.ledger, self.rng = ledger, rng
        self.cut, self.lost = cut, lost
        self.media_hashes = {}
        self.limit = None
        for instance in instances:
            ledger.add(name, instance)
        self.base = f"/v1/key/{token}/projects/1"

    @property
    def done(self):
        return not self.pending and not self.unrevealed

    def live(self, stop, pause=(0.0, 0.3)):
        """Work offline a while, fill some more forms, send the queue; until all are sent."""
        while not self.done and not stop.is_set():
            time.sleep(self.rng.uniform(*pause))
            take = self.rng.randint(1, max(1, len(self.unrevealed) // 3 or 1))
            self.pending += self.unrevealed[:take]
            self.unrevealed = self.unrevealed[take:]
            if len(self.ports) > 1:
                self.port = self.rng.choice(self.ports)
            try:
                self.session()
            except (OSError, LinkDown, http.client.HTTPException):
                pass                              # the link or the server went away

    # -- one session: what Collect does when it gets a connection ----------------------------
    def session(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            if self.limit is None or self.rng.random() < 0.3:
                self._refresh(conn)
            response = self._request(conn, "HEAD", f"{self.base}/submission")
            if response.status != 204:
                self._note_session(f"HEAD {response.status}")
                raise LinkDown(f"HEAD {response.status}")
            self.limit = int(response.getheader("X-OpenRosa-Accept-Content-Length"))
        finally:
            conn.close()
        while self.pending:
            instance = self.pending[0]
            outcome = self._send(instance)
            if outcome == "retry":
                return                  # try again next session, as Collect does
            self.pending.pop(0)         # sent, or refused for good (kept in the ledger)

    def _request(self, conn, method, path, headers=None):
        conn.request(method, path, headers={"X-OpenRosa-Version": "1.0", **(headers or {})})
        response = conn.getresponse()
        response.read()
        return response

    def _refresh(self, conn):
        """Form list, each manifest, and any media file whose hash changed."""
        conn.request("GET", f"{self.base}/formList", headers={"X-OpenRosa-Version": "1.0"})
        response = conn.getresponse()
        body = response.read().decode()
        if response.status != 200:
            self._note_session(f"formList {response.status}")
            raise LinkDown(f"formList {response.status}")
        for manifest in re.findall(r"<manifestUrl>([^<]+)</manifestUrl>", body):
            path = manifest.split(str(self.port), 1)[-1]
            conn.request("GET", path, headers={"X-OpenRosa-Version": "1.0"})
            response = conn.getresponse()
            text = response.read().decode()
            for name, digest, url in re.findall(
                    r"<filename>([^<]+)</filename>\s*<hash>([^<]+)</hash>\s*"
                    r"<downloadUrl>([^<]+)</downloadUrl>", text):
                if self.media_hashes.get(name) == digest:
                    continue
                conn.request("GET", url.split(str(self.port), 1)[-1].replace("&amp;", "&"),
                             headers={"X-OpenRosa-Version": "1.0", "Accept-Encoding": "gzip"})
                got = conn.getresponse()
                got.read()
                if got.status == 200:
                    self.media_hashes[name] = digest

    def _note_session(self, outcome):
        """A session that failed before any POST: noted on the instance it would have sent,
        so an instance that never got through shows why."""
        if self.pending:
            self.ledger.note(self.pending[0].instance_id, outcome)

    def _parts(self, instance):
        """The instance's files in groups that fit under the server's limit with the XML."""
        room = self.limit - len(instance.xml) - 4096
        parts, current, size = [], [], 0
        for name, data in instance.files.items():
            if current and size + len(data) > room:
                parts.append(current)
                current, size = [], 0
            current.append(name)
            size += len(data)
        parts.append(current)
        return parts

    def _send(self, instance):
        """POST every part: "sent" when each got its 201, "refused" when the server said no
        for good (a 4xx other than 401, 408, 429: Collect marks the form failed), else
        "retry"."""
        parts = self._parts(instance)
        for i, names in enumerate(parts):
            last = i == len(parts) - 1
            body, ctype = multipart(instance, names, incomplete=not last)
            status = self._post(body, ctype, instance.instance_id)
            if 400 <= status < 500 and status not in (401, 408, 429):
                return "refused"
            if status != 201:
                return "retry"
        self.ledger.ack(instance.instance_id)
        return "sent"

    def _post(self, body, ctype, instance_id):
        request = (f"POST {self.base}/submission?deviceID=collect:{self.name} HTTP/1.1\r\n"
                   f"Host: 127.0.0.1:{self.port}\r\nX-OpenRosa-Version: 1.0\r\n"
                   f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                   f"Connection: close\r\n\r\n").encode() + body
        roll = self.rng.random()
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        try:
            if roll < self.cut:
                sock.sendall(request[:self.rng.randrange(len(request))])
                self.ledger.note(instance_id, "cut mid-upload")
                raise LinkDown("cut")
            sock.sendall(request)
            if roll < self.cut + self.lost:
                self.ledger.note(instance_id, "answer lost")
                raise LinkDown("lost")
            status, _, _ = common._read_response(sock, b"", False)
        except (OSError, ConnectionError) as e:
            self.ledger.note(instance_id, f"error {type(e).__name__}")
            raise LinkDown(str(e))
        finally:
            sock.close()
        self.ledger.note(instance_id, str(status))
        return status


def multipart(instance, names, incomplete):
    boundary = uuid.uuid4().hex
    out = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
           f"filename=\"submission.xml\"\r\nContent-Type: text/xml\r\n\r\n".encode(),
           instance.xml, b"\r\n"]
    for name in names:
        out += [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                f"filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n".encode(),
                instance.files[name], b"\r\n"]
    if incomplete:
        out.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"*isIncomplete*\""
                   f"\r\n\r\nyes\r\n".encode())
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


# -- the fleet ------------------------------------------------------------------------------
def town_instances(people, seed):
    """The synthetic town's submissions, grouped by the phone that fills them (in the order
    each phone sends them), and the Town (for its phones' villages)."""
    from app.demo.town import Params, Town, read_villages
    town = Town(Params(people=people, months=24, seed=seed, start=dt.date(2024, 9, 1)),
                read_villages(os.path.join(common.ROOT, "forms", "villages.csv")))
    by_phone = {}
    for sub in town.run():
        iid = re.search(rb"<instanceID>([^<]+)</instanceID>", sub.xml).group(1).decode()
        by_phone.setdefault(sub.phone, []).append(Instance(iid, sub.form, sub.xml))
    return town, by_phone


def photo_instances(n, rng, phones=4):
    """Photo-form instances with three attachments of 40–160 KB each."""
    by_phone = {}
    for i in range(n):
        iid = f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        files = {f"{f}-{i}.jpg": rng.randbytes(rng.randint(40_000, 160_000))
                 for f in PHOTO_FIELDS}
        fields = "".join(f"<{f}>{f}-{i}.jpg</{f}>" for f in PHOTO_FIELDS)
        xml = (f'<data id="household_photos" version="1"><village>dongwan</village>'
               f"<note>photos {i}</note>{fields}<meta><instanceID>{iid}</instanceID></meta>"
               f"</data>").encode()
        by_phone.setdefault(f"camera:{i % phones}", []).append(
            Instance(iid, "household_photos", xml, files))
    return by_phone


def prepare_fleet(app, people, photos, seed, cut, lost, port):
    """Publish the town's forms and the photo form, make an app user per phone; returns
    (phones, ledger)."""
    import glob

    from app.auth.accounts import create_app_user
    from app.cli import publish_paths
    from app.db import db
    from app.forms import publish as publishing
    from app.projects.service import import_areas
    from flask_migrate import upgrade
    rng = random.Random(seed)
    town, by_phone = town_instances(people, seed)
    by_phone.update(photo_instances(photos, rng))
    ledger, phones = Ledger(), []
    with app.app_context():
        upgrade()
        import_areas(db.session, 1, os.path.join(common.ROOT, "forms", "villages.csv"))
        db.session.commit()
        publish_paths(sorted(glob.glob(os.path.join(common.ROOT, "forms", "*.xlsx"))),
                      echo=lambda line: None)
        publishing.publish(db.session, app.extensions["blob_store"], 1, "photos.xml",
                           PHOTO_FORM, {})
        db.session.commit()
        for name in sorted(by_phone):
            kind, _, village = name.partition(":")
            areas = [village] if kind in ("worker", "leader") else (
                sorted(v for v, d in town.doctors.items() if d == name) if kind == "doctor"
                else None)
            _, token = create_app_user(db.session, 1, name, areas)
            db.session.commit()
            phones.append(Phone(name, token, port, by_phone[name], ledger,
                                random.Random(rng.random()), cut, lost))
    return phones, ledger


def run_fleet(phones, stop=None, pause=(0.0, 0.3), limit=1800):
    """Run every phone in its own thread until all are done, `stop` is set, or `limit`
    seconds have passed (then the phones stop and the ledger shows what was left)."""
    stop = stop or threading.Event()
    threads = [threading.Thread(target=p.live, args=(stop, pause), daemon=True) for p in phones]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, limit - (time.perf_counter() - started)))
    stop.set()
    # a phone stops between requests; each request is bounded by its socket's timeout
    deadline = time.perf_counter() + 60
    for t in threads:
        t.join(max(0.0, deadline - time.perf_counter()))
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1500)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--cut", type=float, default=0.05, help="requests cut mid-upload")
    parser.add_argument("--lost", type=float, default=0.03,
                        help="requests whose answer the phone never gets")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--max-bytes", type=int, default=300_000,
                        help="the server's submission size limit (forces split uploads)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
            app = common.make_app(url, data)
            port = common.free_port()
            phones, ledger = prepare_fleet(app, args.people, args.photos, args.seed, args.cut,
                                           args.lost, port)
            server = common.Gunicorn(url, data, port, args.workers, 0,
                                     max_bytes=args.max_bytes)
            try:
                seconds = run_fleet(phones)
            finally:
                server.stop()
            s = ledger.summary()
            print(f"# {kind}: {len(phones)} phones, {s['instances']} instances, {s['acked']} "
                  f"acknowledged, {s['requests']} requests in {seconds:.1f} s "
                  f"({s['acked'] / seconds:.0f} instances/s, {os.cpu_count()} cores)")
            print(f"  outcomes: {s['outcomes']}")


if __name__ == "__main__":
    main()
