"""What a JSON API route reads from the request, declared in one place and loaded before the
handler runs: `@takes(query=Schema, body=Schema | kind)` on each route.

The query string always goes through a marshmallow schema (none given: it must be empty but for
the `st` token); the body is one of
- a load schema: a JSON object (an empty body reads as {}), loaded through it;
- JSON_OR_CSV(schema): text/csv is passed on as text, anything else is JSON as above;
- BYTES: the raw bytes (an XLSForm, an XForm, a form attachment), checked by the domain code;
- None: the route reads no body.
An unknown field, a mistyped value or a missing one is Problem 400.79, whose details name each
field and why, under "query" or "body". The caller is authenticated first (but for routes
marked anonymous: logging in), so a client without credentials gets its 401 and learns nothing
of what a route takes. The loaded values reach the handler as the keyword
arguments `query` and `body` when its signature names them. Every decorated view is marked
(`DECLARATION`) so that a test can walk the URL map and find a route that declares nothing.
"""
import functools
import inspect
import json
from dataclasses import dataclass

from flask import request
from marshmallow import Schema, ValidationError, fields

from app.auth import http as auth
from app.problems import Problem

DECLARATION = "request_declaration"
BYTES = "bytes"


@dataclass(frozen=True)
class JSON_OR_CSV:  # noqa: N801 - reads as the body kind it names
    schema: object      # a Schema class as declared; the decorator keeps an instance


@dataclass(frozen=True)
class Declaration:
    query: type
    body: object
    anonymous: bool = False
    #: the PERMISSIONS entry the handler requires, when the route names it (the OpenAPI
    #: description shows it; tests/api/test_route_policy_api.py holds the handler to it)
    permission: str | None = None


class QueryBoolean(fields.Field):
    """true or false in any case (pyodk sends Python's True), as Central's isTrue() reads it;
    anything else is an error rather than a silent false."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValidationError("Not a valid boolean: use true or false.")


class JSONBoolean(fields.Field):
    """A JSON true or false, nothing else: "false" is a string and is refused, not read as on."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        raise ValidationError("Not a valid boolean: use JSON true or false.")


class QuerySchema(Schema):
    """The base of every query schema: an app user's token may ride in the query (?st=)."""
    st = fields.String()


def takes(query=QuerySchema, body=None, anonymous=False, permission=None):
    """Load request.args through `query` and the body as `body` says, before the handler.
    `permission` only records what the handler requires; the handler still checks it."""
    # one instance each, made here: building a marshmallow schema costs more than loading a
    # query string through it, so not on every request (docs/performance-history.md, "Figures
    # that lived in code comments")
    query_schema = query()
    body_kind = _instance(body)

    def decorate(view):
        accepts = set(inspect.signature(view).parameters) & {"query", "body"}

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not anonymous:
                auth.resolve(challenge=False)       # once per request: the handler reuses it
            loaded = {"query": _load_query(query_schema), "body": _load_body(body_kind)}
            kwargs.update({name: loaded[name] for name in accepts})
            return view(*args, **kwargs)
        setattr(wrapper, DECLARATION, Declaration(query, body, anonymous, permission))
        return wrapper
    return decorate


def _instance(body):
    if isinstance(body, JSON_OR_CSV):
        return JSON_OR_CSV(body.schema())
    return body() if isinstance(body, type) else body


def _load_query(schema):
    repeated = sorted(k for k, values in request.args.lists() if len(values) > 1)
    if repeated:
        _refuse("query", {k: ["Given more than once."] for k in repeated})
    return _load("query", schema, request.args.to_dict())


def _load_body(kind):
    if kind is None:
        return None
    if kind == BYTES:
        return request.get_data()
    if isinstance(kind, JSON_OR_CSV):
        if (request.mimetype or "") == "text/csv":
            return request.get_data(as_text=True)
        kind = kind.schema
    raw = request.get_data()
    if not raw.strip():
        value = {}
    else:
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):      # RecursionError: absurdly deep nesting
            _refuse("body", {"_body": ["Not valid JSON."]})
    if not isinstance(value, dict):
        _refuse("body", {"_body": ["Expected a JSON object."]})
    return _load("body", kind, value)


def _load(where, schema, value):
    try:
        return schema.load(value)
    except ValidationError as e:
        _refuse(where, e.messages)
    except RecursionError:
        _refuse(where, {"_body": ["Nested too deeply."]})


#: fields named in the message (the details list them all): a bulk body can hold thousands
SUMMARY_FIELDS = 10


def _refuse(where, messages):
    flat = list(_flatten(messages))
    shown, more = flat[:SUMMARY_FIELDS], len(flat) - SUMMARY_FIELDS
    summary = "; ".join(f"{where} {path}: {' '.join(reasons)}" for path, reasons in shown)
    fields_ = ", ".join(p for p, _ in shown)
    if more > 0:
        summary, fields_ = f"{summary}; and {more} more", f"{fields_} … (+{more})"
    raise Problem("400.79", {"summary": summary, "fields": fields_, where: _plain(messages)})


def _plain(messages):
    """marshmallow's messages with string keys (a list's items are keyed by index)."""
    if isinstance(messages, dict):
        return {str(k): _plain(v) for k, v in messages.items()}
    return messages


def _flatten(messages, prefix=""):
    """(dotted path, [reasons]) for marshmallow's nested error messages."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = key if key != "_schema" else "(whole)"
            yield from _flatten(value, f"{prefix}.{name}" if prefix else str(name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        yield prefix or "(whole)", messages
    else:
        yield prefix or "(whole)", [str(messages)]
