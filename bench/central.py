"""ODK Central measured in the same run as Doorstep, with the same load generator and the same
submissions, so that a ratio does not depend on how fast this VM happens to be at the moment
(its speed drifts by up to 3x within an hour: docs/performance.md). Nothing of Central is part
of this project: the benchmarks talk to a Central that is already running, through its public
API (to make a project, an app user and the two bench forms) and its database (to see its
worker's queue and its entities), named by two settings:

    DOORSTEP_BENCH_CENTRAL=http://EMAIL:PASSWORD@127.0.0.1:8383     (a Central administrator)
    DOORSTEP_BENCH_CENTRAL_DB=postgresql://USER@127.0.0.1:5432/DATABASE

Central answers a submission with 201 once it is stored, and leaves the rest to a worker that
polls its audit log: for every submission it reads the select-multiple values out of the XML,
and for an entity form it creates the entity. So a Central round reports two rates:
`accepted` (every 201 received) and `completed` (until its worker's queue is empty again, and
for an entity form every entity exists). Sustained, a server cannot accept faster than it
completes, which is why ODK Central's figures in the issues (~100/s plain "sustained") are
compared with `completed`. Doorstep does all of that inside the request, so for Doorstep the
two are the same. Each Central round starts and ends with an empty queue, so no round of
either server carries the other's backlog.
"""
import json
import os
import time
import urllib.parse
import urllib.request
import uuid

import common


def from_environment():
    """The Central named by the settings above, or None (then the fixed figures are used)."""
    url = os.environ.get("DOORSTEP_BENCH_CENTRAL")
    database = os.environ.get("DOORSTEP_BENCH_CENTRAL_DB")
    if not url:
        return None
    if not database:
        raise SystemExit("DOORSTEP_BENCH_CENTRAL needs DOORSTEP_BENCH_CENTRAL_DB as well "
                         "(Central's worker queue and entities are read from its database)")
    return Central(url, database)


class Central:
    def __init__(self, url, database_url):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        if self.host not in ("127.0.0.1", "localhost"):
            # the load generator (common.post_all) speaks to 127.0.0.1, as it does to Doorstep
            raise SystemExit("DOORSTEP_BENCH_CENTRAL must be a Central on this machine "
                             "(127.0.0.1), so that both servers share the same cores")
        self.base = f"{parts.scheme}://{self.host}:{self.port}"
        self.email = urllib.parse.unquote(parts.username or "")
        self.password = urllib.parse.unquote(parts.password or "")
        self.database_url = database_url
        self.project = self.token = self._connection = None

    def _call(self, method, path, body=None, content_type="application/json", session=None):
        data = json.dumps(body).encode() if content_type == "application/json" and \
            body is not None else body
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if session:
            request.add_header("Authorization", f"Bearer {session}")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def prepare(self, form_paths):
        """A new project holding the forms and an app user allowed to submit to them, made
        through Central's API as an administrator would; returns the submission path."""
        session = self._call("POST", "/v1/sessions",
                             {"email": self.email, "password": self.password})["token"]
        self.project = self._call("POST", "/v1/projects",
                                  {"name": f"doorstep bench {uuid.uuid4().hex[:8]}"},
                                  session=session)["id"]
        user = self._call("POST", f"/v1/projects/{self.project}/app-users",
                          {"displayName": "bench phone"}, session=session)
        for path in form_paths:
            with open(path, "rb") as f:
                form = self._call("POST", f"/v1/projects/{self.project}/forms?publish=true",
                                  f.read(), "application/xml", session=session)
            self._call("POST", f"/v1/projects/{self.project}/forms/{form['xmlFormId']}"
                       f"/assignments/app-user/{user['id']}", session=session)
        self.token = user["token"]
        return self.submission_path()

    def submission_path(self):
        return f"/v1/key/{self.token}/projects/{self.project}/submission"

    def _database(self):
        # one connection for all the polling: a new one ten times a second would cost
        # Central's PostgreSQL server a backend process each time
        if self._connection is None or self._connection.closed:
            import psycopg
            self._connection = psycopg.connect(self.database_url, autocommit=True)
        return self._connection

    def _scalar(self, sql, *params):
        return self._database().execute(sql, params).fetchone()[0]

    def settle(self):
        """VACUUM ANALYZE Central's database and wait for its queue to empty, before a block of
        rounds. Central's worker polls its audit log with a query whose index scan walks every
        dead index entry that row updates leave behind (each processed event leaves two); until
        autovacuum gets there, Central slows down round after round (84, 88, 77, 67 completed/s
        in four consecutive rounds here; 70 ms per poll at 97,000 events). Doorstep gets a fresh
        database for each benchmark row, so Central gets a clean one too: the comparison then
        leans, if anything, in Central's favour."""
        self.wait_idle()
        self._database().execute("VACUUM ANALYZE")

    def last_event(self):
        return self._scalar("SELECT coalesce(max(id), 0) FROM audits")

    def queued(self, since):
        """Submissions accepted after audit event `since` that Central's worker has not
        processed yet (it gives up on an event after five failures, so those are not waited
        for). Only this round's events are looked at, through the primary key: a count over
        the whole audit log, polled while Central works, would slow Central down more and
        more as its log grows."""
        return self._scalar("SELECT count(*) FROM audits WHERE id > %s "
                            "AND action = 'submission.create' AND processed IS NULL "
                            "AND failures < 5", since)

    def entities(self):
        return self._scalar('SELECT count(*) FROM entities JOIN datasets '
                            'ON datasets.id = entities."datasetId" '
                            'WHERE datasets."projectId" = %s', self.project)

    def wait_idle(self, since=0, timeout=900):
        """Until the worker's queue (from event `since` on) is empty; returns when that was
        seen (perf_counter). Polled ten times a second: 0.5 % of a 20-second round."""
        deadline = time.perf_counter() + timeout
        while self.queued(since):
            if time.perf_counter() > deadline:
                raise RuntimeError("ODK Central's worker queue did not empty in time")
            time.sleep(0.1)
        return time.perf_counter()

    def round(self, bodies, clients, entity_form):
        """One round: every body sent over `clients` keep-alive connections, then until the
        queue is empty (and every entity exists). Rates per second, latencies in ms."""
        since = self.last_event()
        before = self.entities() if entity_form else 0
        start = time.perf_counter()
        seconds, latencies, statuses = common.post_all(self.port, self.submission_path(),
                                                       bodies, clients)
        done = self.wait_idle(since)
        if entity_form:
            while self.entities() - before < statuses.get(201, 0):
                if time.perf_counter() - done > 60:
                    raise RuntimeError("ODK Central's queue is empty but entities are missing")
                time.sleep(0.1)
            done = time.perf_counter()
        n = len(bodies)
        return {"accepted": n / seconds, "completed": n / (done - start),
                "p50": common.percentile(latencies, 50), "statuses": statuses}
