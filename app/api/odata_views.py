"""ODK Central's OData feeds over HTTP (blueprint `odata`, under /v1), for Excel's and Power
BI's "From OData feed", pyodk's get_table and ruODK:

    /projects/<p>/forms/<formId>.svc                    service document
    /projects/<p>/forms/<formId>.svc/$metadata          EDMX
    /projects/<p>/forms/<formId>.svc/Submissions        and Submissions.<repeat path>
    /projects/<p>/forms/<formId>.svc/Submissions('<instanceId>')[/<repeat>]
    /projects/<p>/datasets/<name>.svc[/$metadata|/Entities]

Handlers are thin: the documents are app.exports.odata, the reads app.exports.odata_query.
Staff with submission.read only (app users are refused), the form visible to them, their
villages only; every read of a feed is one audit row ("submission.odata" / "entity.odata"),
committed before the body streams. The body is written in chunks by a generator reading on a
connection of its own (nothing of the request's session is held while it streams) and
yielding to other greenlets between chunks under gevent.
"""
import re
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import fields, validate

from app.api.inputs import COUNT, Text
from app.api.loading import QueryBoolean, QuerySchema, takes
from app.audit.record import record
from app.auth import http as auth
from app.db import db
from app.db.transactions import begin_reads, end_reads
from app.exports import fields as export_fields
from app.exports import filters, odata
from app.exports import odata_query as reads
from app.exports.cooperative import pause
from app.exports.pool import export_engine
from app.forms.queries import readable_form
from app.problems import Problem
from app.register.lists import dataset_named

bp = Blueprint("odata", __name__)
URI_COMPONENT = "!*'()"
JSON_TYPE = "application/json; charset=utf-8; odata.metadata=minimal"     # Central's
XML_TYPE = "application/xml; charset=utf-8"
# any instance id a phone may send (intake keeps it as given), quoted as OData quotes: '' is '
_SINGLE = re.compile(r"^Submissions\('((?:[^']|'')+)'\)(?:/(.+))?$")


@bp.after_request
def _odata_version(response):
    """Central's OData answers say their protocol version (Power Query reads it)."""
    response.headers["OData-Version"] = "4.0"
    return response


class FeedQuery(QuerySchema):
    """What Central's OData feeds take (pyodk, Excel and Power BI send these)."""
    top = fields.Integer(data_key="$top", validate=COUNT)
    skip = fields.Integer(data_key="$skip", validate=COUNT, load_default=0)
    count = QueryBoolean(data_key="$count", load_default=False)
    filter = Text(data_key="$filter")
    select = Text(data_key="$select")
    orderby = Text(data_key="$orderby")
    skiptoken = Text(data_key="$skiptoken")
    # Excel may ask for the JSON it is given anyway
    format = Text(data_key="$format", validate=validate.OneOf(("json", "application/json")))


class SubmissionFeedQuery(FeedQuery):
    expand = Text(data_key="$expand")
    wkt = QueryBoolean(data_key="$wkt", load_default=False)


class EntityFeedQuery(FeedQuery):
    search = Text(data_key="$search")


class DocumentQuery(QuerySchema):
    format = Text(data_key="$format", validate=validate.OneOf(("json", "application/json",
                                                               "xml", "application/xml")))


def _root():
    return (current_app.config["PUBLIC_URL"].rstrip("/") or request.host_url.rstrip("/")) \
        + request.script_root


def _service_url(kind, project_id, name):
    # escaped as JavaScript's encodeURIComponent does (Central): a form id may hold "/" or "%"
    return f"{_root()}/v1/projects/{project_id}/{kind}/{quote(name, safe=URI_COMPONENT)}.svc"


def _link_maker():
    """(token=…, or skip=… ) → this request's URL with $skip dropped and $skiptoken set
    (Central's nextUrlFor), or, for a page in an $orderby's order (which no $skiptoken
    resumes: the two are refused together), $skip set to the rows before the next page;
    made now: the body is written after the request context is gone."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("$skip", "$skiptoken")]
    url = f"{_root()}{request.path}"

    def link(token=None, skip=None):
        more = [("$skiptoken", token)] if skip is None else [("$skip", str(skip))]
        return f"{url}?{urlencode(args + more)}"
    return link


def _form(project_id, xml_form_id):
    actor = auth.require("submission.read", project_id, challenge=False)
    begin_reads(db.session)         # SQLite: no write lock until the audit row
    form, version = readable_form(db.session, actor, project_id, xml_form_id)
    return actor, form, odata.form_fields(export_fields.version_fields(version))


class _Primed:
    """A feed's chunks with the first one already made, so what fails before any byte is
    written (a repeat table's $skiptoken found in no row, the database gone) is the
    Problem's own 4xx/5xx answer rather than a 200 cut off after its headers. close() reaches
    the feed's generator, which frees its connection, when the client goes away or a HEAD
    request never reads the body."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.first = next(chunks)       # a feed always makes at least its footer

    def __iter__(self):
        yield self.first
        yield from self.chunks

    def close(self):
        self.chunks.close()


def _streamed(chunks):
    return Response(_Primed(chunks), content_type=JSON_TYPE, direct_passthrough=True)


# Forms -----------------------------------------------------------------------------------------

# both spellings, neither redirecting (with a path converter a rule ending in "/" would)
@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>.svc", strict_slashes=False)
@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>.svc/", strict_slashes=False)
@takes(query=DocumentQuery, permission="submission.read")
def form_service(project_id, xml_form_id):
    _actor, _form_row, found = _form(project_id, xml_form_id)
    url = _service_url("forms", project_id, xml_form_id)
    response = jsonify(odata.service_document(found, f"{url}/$metadata"))
    response.content_type = JSON_TYPE
    return response


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>.svc/$metadata")
@takes(query=DocumentQuery, permission="submission.read")
def form_metadata(project_id, xml_form_id):
    _actor, form, found = _form(project_id, xml_form_id)
    return Response(odata.edmx(form.xml_form_id, found), content_type=XML_TYPE)


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>.svc/<path:table>")
@takes(query=SubmissionFeedQuery, permission="submission.read")
def form_table(project_id, xml_form_id, table, query):
    actor, form, found = _form(project_id, xml_form_id)
    single = _SINGLE.match(table)
    instance_id = None
    if single:
        instance_id = single.group(1).replace("''", "'")
        table = "Submissions" + ("." + single.group(2).replace("/", ".") if single.group(2) else "")
    known = odata.tables(found)
    if table not in known:
        raise Problem("404.1")
    if query.get("expand") not in (None, "*"):
        raise Problem("501.191", {"feature": f"$expand={query['expand']}",
                                  "supported": "$expand=*"})
    if query.get("orderby") and query.get("skiptoken"):
        raise Problem("501.191", {"feature": "$orderby with $skiptoken together",
                                  "supported": "one of them"})
    chosen = odata.select_fields(found, query.get("select"), table)
    shaper = odata.Shaper(chosen, table, expand=query.get("expand") == "*", wkt=query["wkt"],
                          metadata=odata.select_option(query.get("select")))
    scope = reads.SubmissionScope(form.id, actor.area_ids, filters.parse(query.get("filter")))
    if instance_id is not None:
        scope = reads.SubmissionScope(form.id, actor.area_ids, filters.parse(
            "__id eq '" + instance_id.replace("'", "''") + "' and __system/deletedAt eq null"))
    context = f"{_service_url('forms', project_id, xml_form_id)}/$metadata#{table}"
    plan = (_root_plan if table == "Submissions" and instance_id is None else _repeat_plan)(
        scope, query, form, instance_id)
    if instance_id is not None and plan.total == 0:
        raise Problem("404.1")
    form_id = form.id                   # ending the reads expires the ORM objects
    end_reads(db.session)
    record(db.session, actor, "submission.odata", f"form:{form_id}", table=table,
           **_details(query, instance_id))
    db.session.commit()
    engine = export_engine(current_app, db.engine)
    return _streamed(plan.body(engine, shaper, context))


def _details(query, instance_id=None):
    shown = {k: query[k] for k in ("filter", "select", "orderby", "top", "expand", "search")
             if query.get(k) is not None}
    if query.get("skip"):
        shown["skip"] = query["skip"]
    if query.get("skiptoken"):
        shown["skiptoken"] = True
    if instance_id:
        shown["instanceId"] = instance_id
    return shown


class _root_plan:  # noqa: N801 - read as a function that plans a page
    """The Submissions table: paged in the database; count and nextLink as Central's."""

    def __init__(self, scope, query, form, _instance_id):
        session = db.session
        after = None
        if query.get("skiptoken"):
            after = reads.submission_cursor(
                session, form.id, odata.parse_skiptoken(query["skiptoken"], "instanceId"),
                scope.area_ids)
        self.top, self.skip = query.get("top"), 0 if after else query["skip"]
        self.want_count = query["count"]
        paged = self.top is not None or bool(self.skip) or after is not None
        self.total = reads.count_submissions(session, scope) if (
            self.want_count or paged) else None
        self.remaining = (reads.count_submissions(session, scope, after) if after
                          else (self.total or 0) - self.skip) if paged else 0
        self.query = reads.submissions_query(scope, query.get("orderby"), after, self.skip,
                                             self.top)
        self.empty = self.top == 0
        self.ordered = bool(query.get("orderby"))

    def body(self, engine, shaper, context):
        state = {"added": 0, "last": None}
        link = _link_maker()

        def rows():
            if self.empty:
                return
            for row in reads.stream(engine, self.query):
                for out in shaper.rows(reads.facts(row), row.xml):
                    state["added"] += 1
                    state["last"] = row.instance_id
                    yield out

        def next_link():
            if state["last"] is None or self.remaining - state["added"] <= 0:
                return None
            if self.ordered:
                return link(skip=self.skip + state["added"])
            return link(odata.skiptoken({"instanceId": state["last"]}))
        return odata.feed(rows(), context, next_link,
                          self.total if self.want_count else None, pause=pause)


class _repeat_plan:  # noqa: N801
    """A repeat table (or one submission): every matching submission is read and its rows
    counted, $skip/$top applied to the rows, as Central does; $skiptoken names a row __id."""

    def __init__(self, scope, query, form, instance_id):
        self.top, self.skip = query.get("top"), query["skip"]
        self.want_count = query["count"]
        self.resume = (odata.parse_skiptoken(query["skiptoken"], "repeatId")
                       if query.get("skiptoken") else None)
        self.query = reads.submissions_query(scope)
        self.total = reads.count_submissions(db.session, scope) if instance_id else None
        self.single = instance_id is not None

    def body(self, engine, shaper, context):
        state = {"counted": 0, "added": 0, "more": 0, "last": None, "found": self.resume is None}
        link = _link_maker()

        def rows():
            for row in reads.stream(engine, self.query):
                for out in shaper.rows(reads.facts(row), row.xml):
                    state["counted"] += 1
                    if not state["found"]:
                        state["found"] = out.get("__id") == self.resume
                        continue
                    if state["counted"] - 1 < (0 if self.resume else self.skip):
                        continue
                    if self.top is not None and state["added"] >= self.top:
                        state["more"] += 1
                        continue
                    state["added"] += 1
                    state["last"] = out.get("__id")
                    yield out
            if not state["found"]:
                raise Problem("400.197")

        def next_link():
            if state["more"] <= 0 or state["last"] is None:
                return None
            key = "instanceId" if self.single and shaper.table == "Submissions" else "repeatId"
            return link(odata.skiptoken({key: state["last"]}))
        return odata.feed(rows(), context, next_link,
                          (lambda: state["counted"]) if self.want_count else None, pause=pause)


# Entity lists ----------------------------------------------------------------------------------

def _dataset(project_id, name):
    actor = auth.require("submission.read", project_id, challenge=False)
    begin_reads(db.session)
    return actor, dataset_named(db.session, project_id, name)


@bp.get("/projects/<int:project_id>/datasets/<name>.svc")
@bp.get("/projects/<int:project_id>/datasets/<name>.svc/")
@takes(query=DocumentQuery, permission="submission.read")
def dataset_service(project_id, name):
    _dataset(project_id, name)
    url = _service_url("datasets", project_id, name)
    response = jsonify(odata.entity_service_document(f"{url}/$metadata"))
    response.content_type = JSON_TYPE
    return response


@bp.get("/projects/<int:project_id>/datasets/<name>.svc/$metadata")
@takes(query=DocumentQuery, permission="submission.read")
def dataset_metadata(project_id, name):
    _actor, dataset = _dataset(project_id, name)
    return Response(odata.entity_edmx(dataset.name, [p.name for p in dataset.properties]),
                    content_type=XML_TYPE)


@bp.get("/projects/<int:project_id>/datasets/<name>.svc/Entities")
@takes(query=EntityFeedQuery, permission="submission.read")
def dataset_entities(project_id, name, query):
    actor, dataset = _dataset(project_id, name)
    if query.get("search") is not None:
        raise Problem("501.191", {"feature": "$search", "supported": "$filter, $select, "
                                  "$orderby, $top, $skip, $count"})
    if query.get("orderby") and query.get("skiptoken"):
        raise Problem("501.191", {"feature": "$orderby with $skiptoken together",
                                  "supported": "one of them"})
    names = [p.name for p in dataset.properties]
    selected = odata.entity_selection(query.get("select"), names)
    scope = reads.EntityScope(dataset.id, actor.area_ids, filters.parse(query.get("filter")))
    session = db.session
    after = None
    if query.get("skiptoken"):
        after = reads.entity_cursor(session, dataset.id,
                                    odata.parse_skiptoken(query["skiptoken"], "uuid"),
                                    actor.area_ids)
    top, skip = query.get("top"), 0 if after else query["skip"]
    paged = top is not None or bool(skip) or after is not None
    total = reads.count_entities(session, scope) if (query["count"] or paged) else None
    remaining = ((reads.count_entities(session, scope, after) if after else total - skip)
                 if paged else 0)
    listing = reads.entities_query(scope, query.get("orderby"), after, skip, top)
    dataset_id = dataset.id
    end_reads(session)
    record(session, actor, "entity.odata", f"dataset:{dataset_id}", **_details(query))
    session.commit()
    engine = export_engine(current_app, db.engine)
    context = f"{_service_url('datasets', project_id, name)}/$metadata#Entities"
    state = {"added": 0, "last": None}
    link = _link_maker()

    def rows():
        if top == 0:
            return
        for entity, creator_id, creator_name in reads.stream_entities(engine, listing):
            state["added"] += 1
            state["last"] = entity.uuid
            yield odata.entity_row(entity, creator_id, creator_name, max(0, entity.version - 1),
                                   names, selected)

    def next_link():
        if state["last"] is None or remaining - state["added"] <= 0:
            return None
        if query.get("orderby"):
            return link(skip=skip + state["added"])
        return link(odata.skiptoken({"uuid": state["last"]}))
    return _streamed(odata.feed(rows(), context, next_link,
                                total if query["count"] else None, pause=pause))
