"""The OpenAPI 3.1 description of Doorstep's JSON API (GET /v1/openapi.json), built at run time
from what the server itself runs on, so it cannot drift from it:
- the URL map: every rule under /v1/ whose view carries an @takes declaration
  (app/api/loading.py) is a JSON route: the api, odata, exports and reports API blueprints and
  whatever is added to them; the OpenRosa face (XML and multipart) declares nothing and is left out;
- each declaration: its query schema (one parameter per field), its body (a marshmallow schema
  as JSON Schema through apispec's MarshmallowPlugin, or raw bytes, or JSON or CSV), whether it
  is public, and the permission it names (`x-permission`, with the roles that hold it);
- the problem catalogue (app/problems.py): each operation lists the statuses it may answer
  with, each status its codes, and `x-problems` carries every code in both languages.
The document is built once per app (the URL map does not change after create_app).
"""
import re
from collections import defaultdict

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.api.inputs import MAX_INT, StringOrNumber
from app.api.loading import BYTES, DECLARATION, JSON_OR_CSV, JSONBoolean, QueryBoolean
from app.auth.actors import PERMISSIONS
from app.problems import CATALOGUE

PREFIX = "/v1/"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
#: the bodies taken as raw bytes: XLSForms, XForms, form attachments
RAW_TYPES = ("application/octet-stream", "application/xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
#: a path argument's JSON Schema by its converter (no converter: a string without "/")
_CONVERTERS = {
    "int": {"type": "integer", "minimum": 0, "maximum": MAX_INT},
    "path": {"type": "string", "description": "may contain /"},
}
#: fields of our own whose JSON shape apispec cannot read off their class
_FIELD_SHAPES = {
    StringOrNumber: {"type": ["string", "number"]},
}
SECURITY = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "a session token from POST /v1/sessions"},
    "basic": {"type": "http", "scheme": "basic", "description": "accepted over HTTPS only"},
    "digest": {"type": "http", "scheme": "digest"},
    "appUserToken": {"type": "apiKey", "in": "query", "name": "st",
                     "description": "an app user's (phone's) token; most JSON routes refuse it"},
}


def document(app):
    """The description, built on first use and kept on the app."""
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = build(app)
    return app.extensions["openapi"]


def json_rules(app):
    """The URL map's JSON API rules: under /v1/ and declared with @takes."""
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith(PREFIX) and declaration(app, rule) is not None]


def declaration(app, rule):
    return getattr(app.view_functions[rule.endpoint], DECLARATION, None)


def openapi_path(rule):
    """Flask's /forms/<path:xml_form_id> as OpenAPI's /forms/{xml_form_id}."""
    return _ARG.sub(lambda m: "{" + m.group(2) + "}", rule.rule)


def build(app):
    plugin = MarshmallowPlugin()
    spec = APISpec(title=f"Doorstep ({app.config.get('PROJECT_NAME', 'Doorstep')})",
                   version="1", openapi_version="3.1.0", plugins=[plugin], info={
                       "description": "Doorstep's JSON API, shaped like ODK Central's. "
                                      "Errors are {code, message, message_zh, details}."})
    _teach_fields(plugin)
    for name, scheme in SECURITY.items():
        spec.components.security_scheme(name, scheme)
    _problem_components(spec)
    by_path = defaultdict(list)
    for rule in sorted(json_rules(app), key=lambda r: (r.rule, r.endpoint)):
        by_path[openapi_path(rule)].append(rule)
    seen = set()
    for path, rules in by_path.items():
        operations = {}
        for rule in rules:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                operations[method.lower()] = _operation(rule, method, declaration(app, rule), seen)
        spec.path(path=path, operations=operations, parameters=_path_parameters(rules[0]))
    result = spec.to_dict()
    result["security"] = [{name: []} for name in SECURITY]
    result["x-problems"] = {code: {"status": e.status, "en": e.en, "zh": e.zh}
                            for code, e in CATALOGUE.items()}
    return result


def _teach_fields(plugin):
    plugin.map_to_openapi_type(QueryBoolean, "boolean", None)
    plugin.map_to_openapi_type(JSONBoolean, "boolean", None)

    def shape(converter, field, **kwargs):
        for cls, extra in _FIELD_SHAPES.items():
            if isinstance(field, cls):
                return dict(extra)
        return {}
    plugin.converter.add_attribute_function(shape)


def _path_parameters(rule):
    return [{"in": "path", "name": name, "required": True,
             "schema": dict(_CONVERTERS.get(converter, {"type": "string"}))}
            for converter, name in _ARG.findall(rule.rule)]


def _operation(rule, method, declared, seen):
    operation_id = rule.endpoint
    while operation_id in seen:         # one view on two rules (…/x.svc and …/x.svc/)
        operation_id += "_"
    seen.add(operation_id)
    operation = {
        "operationId": operation_id, "tags": [rule.endpoint.split(".")[0]],
        "summary": rule.endpoint.split(".")[-1].replace("_", " ").capitalize(),
        "parameters": [{"in": "query", "schema": declared.query}],
        "responses": {"200": {"description": "Success (Central's shape where Central has "
                                             "the route)."}},
    }
    if declared.body is not None and method in WRITES:
        operation["requestBody"] = _request_body(declared.body)
    if declared.anonymous:
        operation["security"] = []
    if declared.permission:
        operation["x-permission"] = declared.permission
        operation["x-roles"] = sorted(PERMISSIONS[declared.permission])
    for status in _problem_statuses(rule, method, declared):
        operation["responses"][str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    operation["responses"].update(EXTRA_RESPONSES.get(rule.endpoint, {}))
    return operation


#: answers a route gives besides its success and its problems
EXTRA_RESPONSES = {
    "api.get_entity": {"307": {"description": "The entity was merged into another "
                               "(docs/merging.md): Location names the one it lives on in."}},
}


def _request_body(body):
    if body == BYTES:
        binary = {"schema": {"type": "string", "format": "binary"}}
        return {"required": True, "content": {t: binary for t in RAW_TYPES}}
    if isinstance(body, JSON_OR_CSV):
        return {"required": True, "content": {"application/json": {"schema": body.schema},
                                              "text/csv": {"schema": {"type": "string"}}}}
    return {"required": False, "content": {"application/json": {"schema": body}}}


def _problem_statuses(rule, method, declared):
    statuses = {400}                    # every query string is checked (400.79)
    if not declared.anonymous:
        statuses |= {401, 403}
    elif declared.body is not None:     # logging in: a wrong password, or too many
        statuses |= {401, 429}
    if rule.arguments:
        statuses.add(404)
    if method in WRITES:
        statuses.add(409)
    if declared.body is not None:
        statuses.add(413)
    return sorted(s for s in statuses if any(e.status == s for e in CATALOGUE.values()))


def _problem_components(spec):
    spec.components.schema("Problem", {
        "type": "object", "required": ["code", "message", "message_zh", "details"],
        "properties": {"code": {"type": "string", "enum": sorted(CATALOGUE)},
                       "message": {"type": "string"}, "message_zh": {"type": "string"},
                       "details": {"type": "object"}}})
    by_status = defaultdict(list)
    for code, entry in CATALOGUE.items():
        by_status[entry.status].append(f"{code}: {entry.en}")
    for status, lines in sorted(by_status.items()):
        spec.components.response(f"Problem{status}", {
            "description": "One of: " + " | ".join(lines),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
