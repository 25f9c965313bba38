"""Does the target still speak the contract this suite relies on? (features/contract.feature)

The expectation is ``routes.ROUTES``, the table the client builds every request from. Two halves compare it:

- ``check_document``: the target's OpenAPI document still has every path, method, query parameter, request
  field and answer field the suite uses, with the same JSON types, nullability and enum values;
- ``check_answers``: real answers the client got for the run's own tenant have the envelope and fields the
  suite reads, with values of the right type and enum.

Each gives a ``ContractCheck``: ``drifts`` (one line each, e.g. "`GET /campaigns/{id}`: field
`status_message` missing" or "`JobStatus`: new value `RETRYING`"; any drift fails the scenario, exit 1) and
``notes`` (what the document leaves undescribed, a different success status; never a failure) and
``unused`` (additions the suite does not use: operations, answer fields; never a failure either).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from campaign_acceptance.client import Answer, PlatformClient
from campaign_acceptance.errors import ApiError
from campaign_acceptance.routes import ENUMS, ROUTES, Field, Route
from campaign_common.api_path import API_PREFIX

__all__ = [
    "DOCUMENT_PATHS",
    "ContractCheck",
    "check_answers",
    "check_document",
    "exercise_tenant",
    "read_document",
]

# Where a target serves its OpenAPI document: the platform's own place first (it needs the token there).
DOCUMENT_PATHS = (f"{API_PREFIX}/openapi.json", "/openapi.json")
_PARAMETER = re.compile(r"\{[^}]*\}")


@dataclass
class ContractCheck:
    """What one half found: drifts fail the run, notes only inform."""

    drifts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # "GET /jobs/" or "GET /jobs/: jobs[].name"

    def drift(self, text: str) -> None:
        if text not in self.drifts:  # one line per difference, however many routes share it
            self.drifts.append(text)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def extend(self, other: ContractCheck) -> None:
        for text in other.drifts:
            self.drift(text)
        for text in other.notes:
            self.note(text)
        self.unused += [u for u in other.unused if u not in self.unused]

    def summary_of_unused(self) -> str | None:
        """One line for the run's report: how much the target offers that the suite does not use."""
        fields = sum(1 for u in self.unused if ": " in u)
        operations = len(self.unused) - fields
        if not self.unused:
            return None
        return f"{operations} operations and {fields} answer fields the suite does not use (not a failure)"

    def render(self) -> str:
        lines = [f"drift: {d}" for d in self.drifts] + [f"note: {n}" for n in self.notes]
        lines += [f"unused: {u}" for u in self.unused]
        return "\n".join(lines) if lines else "no drift, no note"


def _enum_lines(check: ContractCheck, enum: str, found: Sequence[Any]) -> None:
    expected = ENUMS[enum]
    for value in found:
        if value not in expected:
            check.drift(f"`{enum}`: new value `{value}`")
    for value in expected:
        if value not in found:
            check.drift(f"`{enum}`: value `{value}` missing")


# --------------------------------------------------------------------------------------------------
# The OpenAPI document
# --------------------------------------------------------------------------------------------------


def read_document(client: PlatformClient) -> tuple[dict[str, Any] | None, str]:
    """The target's OpenAPI document, or None and why there is none (each place tried, with its answer)."""
    tried = []
    for path in DOCUMENT_PATHS:
        try:
            response = client.request("GET", path)
        except ApiError as error:
            tried.append(f"GET {path}: {error.body}")
            continue
        try:
            document = response.json() if response.status_code == 200 else None
        except ValueError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("paths"), dict):
            return document, path
        shown = (
            "not an OpenAPI document" if response.status_code == 200 else f"answered {response.status_code}"
        )
        tried.append(f"GET {path} {shown}")
    return None, "the target serves no OpenAPI document (" + "; ".join(tried) + ")"


def _normal(path: str) -> str:
    """``/api/v1/campaigns/{campaign_id}`` and ``campaigns/{id}`` -> ``/campaigns/{}``."""
    path = path.removeprefix(API_PREFIX)
    return _PARAMETER.sub("{}", path if path.startswith("/") else "/" + path)


@dataclass(frozen=True)
class _Schema:
    """A schema with references followed and a null alternative taken out (``nullable``)."""

    body: Mapping[str, Any]
    nullable: bool = False

    @property
    def type(self) -> str | None:
        kind = self.body.get("type")
        if isinstance(kind, str):
            return kind
        if "enum" in self.body:
            return "string"
        if "properties" in self.body or "additionalProperties" in self.body:
            return "object"
        if "items" in self.body:
            return "array"
        return None

    @property
    def properties(self) -> Mapping[str, Any]:
        props = self.body.get("properties")
        return props if isinstance(props, Mapping) else {}

    @property
    def opaque(self) -> bool:
        """An object (or anything) whose fields the document does not describe."""
        extra = self.body.get("additionalProperties")
        return not self.properties and not isinstance(extra, Mapping) and self.type in (None, "object")


class _Document:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        components = document.get("components")
        self.components: Mapping[str, Any] = components if isinstance(components, Mapping) else {}

    def _ref(self, ref: str) -> Mapping[str, Any]:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node.get(part) if isinstance(node, Mapping) else None
        return node if isinstance(node, Mapping) else {}

    def resolve(self, schema: Any) -> _Schema:
        nullable = False
        node: Mapping[str, Any] = schema if isinstance(schema, Mapping) else {}
        for _ in range(32):  # a reference cycle must not hang the check
            if "$ref" in node:
                node = self._ref(str(node["$ref"]))
                continue
            alternatives = node.get("anyOf") or node.get("oneOf")
            if isinstance(alternatives, list):
                rest = [a for a in alternatives if not (isinstance(a, Mapping) and a.get("type") == "null")]
                nullable = nullable or len(rest) < len(alternatives)
                if len(rest) == 1:
                    node = rest[0]
                    continue
            every = node.get("allOf")
            if isinstance(every, list) and len(every) == 1:
                node = {**{k: v for k, v in node.items() if k != "allOf"}, **self.resolve(every[0]).body}
                continue
            break
        kind = node.get("type")
        if isinstance(kind, list):  # OpenAPI 3.1: type: [string, "null"]
            nullable = nullable or "null" in kind
            others = [k for k in kind if k != "null"]
            node = {**node, "type": others[0] if len(others) == 1 else None}
        return _Schema(node, nullable or bool(node.get("nullable")))

    def parameter(self, parameter: Any) -> Mapping[str, Any]:
        if isinstance(parameter, Mapping) and "$ref" in parameter:
            return self._ref(str(parameter["$ref"]))
        return parameter if isinstance(parameter, Mapping) else {}


def check_document(document: Mapping[str, Any], routes: Mapping[str, Route] = ROUTES) -> ContractCheck:
    """Compare the suite's routes with an OpenAPI document; see the module doc."""
    check = ContractCheck()
    doc = _Document(document)
    paths = document.get("paths")
    by_path: dict[str, tuple[str, Mapping[str, Any]]] = {
        _normal(str(p)): (str(p), item) for p, item in (paths.items() if isinstance(paths, Mapping) else [])
    }
    used: set[tuple[str, str]] = set()
    for route in routes.values():
        found = by_path.get(_normal(route.path))
        if found is None:
            other = _normal(route.path).rstrip("/") if route.path.endswith("/") else _normal(route.path) + "/"
            near = by_path.get(other)
            also = f" (the document has `{near[0]}`)" if near else ""
            check.drift(f"`{route.label}`: path missing{also}")
            continue
        _, item = found
        operation = item.get(route.method.lower())
        if not isinstance(operation, Mapping):
            methods = sorted(m.upper() for m in item if m in ("get", "post", "put", "patch", "delete"))
            check.drift(f"`{route.label}`: method missing (the path has {', '.join(methods) or 'none'})")
            continue
        used.add((route.method.lower(), _normal(route.path)))
        _check_parameters(check, doc, route, [*item.get("parameters", []), *operation.get("parameters", [])])
        _check_request(check, doc, route, operation.get("requestBody"))
        _check_answer(check, doc, route, operation.get("responses"))
    unused = [
        f"{method.upper()} {_normal(path).replace('{}', '{id}')}"
        for path, item in (paths.items() if isinstance(paths, Mapping) else [])
        for method in (item if isinstance(item, Mapping) else {})
        if method in ("get", "post", "put", "patch", "delete") and (method, _normal(path)) not in used
    ]
    if unused:
        check.unused += unused
    return check


def _check_parameters(check: ContractCheck, doc: _Document, route: Route, parameters: list[Any]) -> None:
    query = {}
    for parameter in map(doc.parameter, parameters):
        if parameter.get("in") == "query" and "name" in parameter:
            query[str(parameter["name"])] = bool(parameter.get("required"))
    for name in route.query:
        if name not in query:
            check.drift(f"`{route.label}`: query parameter `{name}` missing")
    for name, required in query.items():
        if required and name not in route.query:
            check.drift(f"`{route.label}`: query parameter `{name}` is required, the suite does not send it")


def _json_schema(doc: _Document, body: Any) -> _Schema:
    """The schema of a request body or answer object's ``application/json`` content (opaque if none)."""
    content = body.get("content") if isinstance(body, Mapping) else None
    media = content.get("application/json") if isinstance(content, Mapping) else None
    return doc.resolve(media.get("schema") if isinstance(media, Mapping) else None)


def _check_request(check: ContractCheck, doc: _Document, route: Route, request: Any) -> None:
    if not isinstance(request, Mapping):
        if route.body:
            check.drift(f"`{route.label}`: request body missing")
        return
    schema = _json_schema(doc, request)
    if schema.opaque:
        if route.body:
            check.note(f"`{route.label}`: the request body is not described by the document")
        return
    for name in route.body:
        if name not in schema.properties:
            check.drift(f"`{route.label}`: request field `{name}` missing")
    required = schema.body.get("required")
    for name in required if isinstance(required, list) else []:
        if name not in route.body:
            check.drift(f"`{route.label}`: request field `{name}` is required, the suite does not send it")


def _check_answer(check: ContractCheck, doc: _Document, route: Route, responses: Any) -> None:
    responses = responses if isinstance(responses, Mapping) else {}
    answer = responses.get(str(route.status))
    if answer is None:
        successes = sorted(str(code) for code in responses if str(code).startswith("2"))
        if not successes:
            check.drift(f"`{route.label}`: no success answer documented (the suite expects {route.status})")
            return
        check.note(
            f"`{route.label}`: documented success status {successes[0]}, the contract says {route.status} "
            "(the client accepts any 2xx)"
        )
        answer = responses[successes[0]]
    if not route.reads:
        return
    root = _json_schema(doc, answer)
    if route.envelope:
        if root.opaque:
            check.note(f"`{route.label}`: the answer is not described by the document")
            return
        if "data" not in root.properties:
            check.drift(f'`{route.label}`: answer not wrapped in {{"status", "data"}}')
            return
        root = doc.resolve(root.properties["data"])
    elif _wrapped_elsewhere(route, root.properties):
        check.note(f'`{route.label}`: answer now wrapped in {{"status", "data"}} (the client unwraps it)')
        root = doc.resolve(root.properties["data"])
    _check_fields(check, doc, route, root)


def _wrapped_elsewhere(route: Route, keys: Mapping[str, Any]) -> bool:
    """A bare answer that now comes in the envelope: the first field read is not at the top any more."""
    return {"status", "data"} <= set(keys) and route.reads[0].path.split(".")[0] not in keys


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _field(route: Route, wanted: Field, text: str) -> str:
    return f"`{route.label}`: field `{wanted.path}` {text}"


def _child(doc: _Document, schema: _Schema, segment: str) -> Iterator[tuple[str, _Schema | None]]:
    """The schemas a path segment leads to: ('missing'|'opaque'|'found', schema)."""
    if segment == "*":
        extra = schema.body.get("additionalProperties")
        if isinstance(extra, Mapping):
            yield "found", doc.resolve(extra)
        elif schema.properties:
            for value in schema.properties.values():  # a map documented with one property per key
                yield "found", doc.resolve(value)
        else:
            yield "opaque", None
        return
    name, listed = (segment[:-2], True) if segment.endswith("[]") else (segment, False)
    if listed and not name:  # ``[]``: the items of an answer that is a bare array
        yield (
            ("found", doc.resolve(schema.body.get("items"))) if schema.type == "array" else ("missing", None)
        )
        return
    if schema.opaque:
        yield "opaque", None
        return
    if name not in schema.properties:
        yield "missing", None
        return
    found = doc.resolve(schema.properties[name])
    if listed:
        yield "found", doc.resolve(found.body.get("items"))
    else:
        yield "found", found


def _check_fields(check: ContractCheck, doc: _Document, route: Route, root: _Schema) -> None:
    read_under: dict[str, set[str]] = {}
    objects: dict[str, _Schema] = {"": root}
    for wanted in route.reads:
        segments = wanted.path.split(".")
        owner = ".".join(segments[:-1])
        read_under.setdefault(owner, set()).add(segments[-1].removesuffix("[]"))
        current = [root]
        for depth, segment in enumerate(segments):
            prefix = ".".join(segments[:depth])
            following = []
            for schema in current:
                for state, child in _child(doc, schema, segment):
                    if state == "missing":
                        check.drift(_field(route, wanted, "missing"))
                    elif state == "opaque":
                        where = f"`{prefix}`" if prefix else "the answer"
                        check.note(f"`{route.label}`: {where} is not described by the document")
                    elif child is not None:
                        following.append(child)
                objects.setdefault(prefix, schema)
            current = following
        for schema in current:
            _check_type(check, route, wanted, schema)
            objects.setdefault(wanted.path, schema)
    for prefix, names in read_under.items():
        parent = objects.get(prefix)
        if parent is None or not parent.properties or "*" in names:  # a map's keys are data, not fields
            continue
        check.unused += [
            f"{route.label}: {prefix + '.' if prefix else ''}{p}" for p in parent.properties if p not in names
        ]


def _check_type(check: ContractCheck, route: Route, wanted: Field, schema: _Schema) -> None:
    documented = schema.type
    if documented not in (None, wanted.type) and (wanted.type, documented) != ("number", "integer"):
        check.drift(_field(route, wanted, f"is {documented}, the suite reads {wanted.type}"))
    if schema.nullable and not wanted.nullable:
        check.drift(_field(route, wanted, f"may be null, the suite reads {_a(wanted.type)}"))
    if wanted.enum is not None:
        values = schema.body.get("enum")
        if isinstance(values, list):
            _enum_lines(check, wanted.enum, values)
        else:
            check.note(f"`{route.label}`: `{wanted.path}` has no enum in the document ({wanted.enum})")
    if (
        wanted.keys is not None
        and schema.properties
        and not isinstance(schema.body.get("additionalProperties"), Mapping)
    ):
        _enum_lines(check, wanted.keys, list(schema.properties))


# --------------------------------------------------------------------------------------------------
# Real answers
# --------------------------------------------------------------------------------------------------

_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: a bool is an int in Python
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), type(value).__name__)


def _values(node: Any, segments: Sequence[str]) -> Iterator[tuple[str, Any]]:
    """('found', value) for each value the path reaches, ('missing', None) where a key is absent, and
    ('empty', list name) for a list with no item to look into."""
    if not segments:
        yield "found", node
        return
    segment, rest = segments[0], segments[1:]
    if node is None:
        return  # under a nullable parent that is null: nothing to read
    if segment == "*":
        for item in node.values() if isinstance(node, dict) else []:
            yield from _values(item, rest)
        return
    name, listed = (segment[:-2], True) if segment.endswith("[]") else (segment, False)
    if listed and not name:  # ``[]``: the items of an answer that is a bare array
        value = node
    elif not isinstance(node, dict) or name not in node:
        yield "missing", None
        return
    else:
        value = node[name]
    if not listed:
        yield from _values(value, rest)
    elif isinstance(value, list) and not value:
        yield "empty", name or "answer"
    else:
        for item in value if isinstance(value, list) else []:
            yield from _values(item, rest)


def check_answers(answers: Mapping[str, Answer], routes: Mapping[str, Route] = ROUTES) -> ContractCheck:
    """Compare real answers (by route name, as ``PlatformClient.answers`` keeps them) with the routes."""
    check = ContractCheck()
    for name, answer in answers.items():
        route = routes.get(name)
        if route is None:
            continue
        if answer.status != route.status:
            check.note(f"`{route.label}`: answered {answer.status}, the contract says {route.status}")
        body = answer.body
        wrapped = isinstance(body, dict) and body.get("status") == "success" and "data" in body
        if route.envelope and not wrapped:
            check.drift(f'`{route.label}`: answer not wrapped in {{"status": "success", "data": ...}}')
            continue
        if not route.envelope and wrapped and route.reads and _wrapped_elsewhere(route, body):
            check.note(f'`{route.label}`: answer now wrapped in {{"status", "data"}} (the client unwraps it)')
        data = body["data"] if wrapped else body
        for wanted in route.reads:
            _check_value(check, route, wanted, data)
    return check


def _check_value(check: ContractCheck, route: Route, wanted: Field, data: Any) -> None:
    for state, value in _values(data, wanted.path.split(".")):
        if state == "missing":
            check.drift(_field(route, wanted, "missing"))
        elif state == "empty":
            check.note(f"`{route.label}`: `{value}` was empty: its items were not checked")
        elif value is None:
            if not wanted.nullable:
                check.drift(_field(route, wanted, f"is null, the suite reads {_a(wanted.type)}"))
        else:
            got = _json_type(value)
            if got != wanted.type and not (wanted.type == "number" and got == "integer"):
                check.drift(_field(route, wanted, f"is {got}, the suite reads {wanted.type}"))
            elif wanted.enum is not None and value not in ENUMS[wanted.enum]:
                check.drift(f"`{wanted.enum}`: new value `{value}`")
            elif wanted.keys is not None and isinstance(value, dict):
                _enum_lines(check, wanted.keys, list(value))


def exercise_tenant(
    client: PlatformClient, organization_id: str, campaign_name: str
) -> tuple[str | None, ContractCheck]:
    """The cheap calls of the run's own tenant whose answers ``check_answers`` then reads: a campaign
    created (never started) and read back, the organization's campaigns, the campaign's jobs (none yet),
    the breakers. The sign-up, login and organization answers are the ones the run already got. A call the
    platform refuses is a drift of its own. Returns the campaign's id (None if it was refused)."""
    check = ContractCheck()

    def attempt(name: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ApiError as error:
            check.drift(f"`{ROUTES[name].label}`: answered {error.status}: {error.body}")
            return None

    created = attempt("create_campaign", lambda: client.create_campaign(organization_id, campaign_name, 1))
    campaign_id = str(created["id"]) if isinstance(created, dict) and "id" in created else None
    if campaign_id is not None:
        attempt("get_campaign", lambda: client.get_campaign(campaign_id))
        attempt("list_jobs", lambda: client.list_jobs(campaign_id))
    attempt("list_campaigns", lambda: client.list_campaigns(organization_id))
    attempt("queue_status", client.queue_status)
    return campaign_id, check
