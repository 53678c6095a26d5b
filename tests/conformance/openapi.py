"""A small OpenAPI response validator for Sim's published API descriptions.

It loads the five OpenAPI documents copied into ``tests/fixtures/openapi/``, and for one HTTP
exchange:

1. finds the operation from the method and the concrete path (``/api/v2/workflows/{id}`` style
   templates; a template with more literal segments wins, so ``/api/v2/workflows/folders`` is
   not taken for ``/api/v2/workflows/{id}``; the dedicated v2 files are searched before
   ``openapi-core.json``, which repeats the billing routes);
2. picks the response object for the status code (exact code, then ``4XX``-style keys, then
   ``default``) and the media type for the response's ``Content-Type``;
3. validates the JSON body with ``jsonschema`` (Draft 2020-12: every file says ``openapi:
   3.1.0``), resolving ``$ref`` through a ``referencing`` registry of the whole documents, and the
   declared response headers that are present against their schemas.

``openapi-core.json`` claims 3.1 but still uses the OpenAPI 3.0 ``nullable`` keyword (23 times),
which 3.1 / JSON Schema ignores; it is translated to ``anyOf: [<schema>, {"type": "null"}]`` on
load so ``"endedAt": null`` validates as the document means it to.

Before any of that the validator consults :data:`differences.KNOWN_DIFFERENCES`: where
docs/sim-api.md says the real server differs from the OpenAPI text, the response is checked against
the hand-written docs/sim-api.md schema of that difference instead. ``validate`` returns a list of
human-readable violations (empty = conforms).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conformance.differences import KNOWN_DIFFERENCES, Difference, template_regex

SPEC_FILES = (
    "openapi-v2-workflows.json",
    "openapi-v2-logs.json",
    "openapi-v2-billing.json",
    "openapi-v2-resources.json",
    "openapi-core.json",
)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
JSON_MEDIA_TYPES = ("application/json",)
SSE_MEDIA_TYPE = "text/event-stream"

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time: a date, ``T``, a time and a zone (``Z`` or an offset)."""
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("uri", raises=ValueError)
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    if not parts.scheme or not (parts.netloc or parts.path):
        raise ValueError(f"{value!r} is not an absolute URI")
    return True


def openapi_dir() -> Path:
    """Where the OpenAPI files live: copied into the repo, under ``tests/fixtures/openapi``."""
    return Path(__file__).resolve().parents[1] / "fixtures" / "openapi"


def translate_nullable(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` → JSON Schema ``anyOf [..., null]`` (recursively, in place)."""
    if isinstance(node, list):
        return [translate_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: translate_nullable(value) for key, value in node.items()}
    if out.get("nullable") is True:
        out.pop("nullable")
        doc = {k: out.pop(k) for k in ("description", "example", "examples", "title") if k in out}
        return {**doc, "anyOf": [out, {"type": "null"}]}
    if out.get("nullable") is False:
        out.pop("nullable")
    return out


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def pointer(*segments: str) -> str:
    return "".join("/" + _escape(s) for s in segments)


@dataclass(frozen=True)
class Exchange:
    """One request/response pair, as the validator sees it.

    ``headers`` must be case-insensitive for lookups (an ``httpx.Headers`` is); ``body`` is the
    parsed JSON (``None`` for an empty or non-JSON body); ``allow`` names opt-in differences
    (see :class:`differences.Difference`) the test declared for this exchange.
    """

    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    body: Any = None
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: Any = None
    allow: frozenset[str] = frozenset()

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Operation:
    spec: str
    uri: str
    method: str
    template: str
    params: dict[str, str]
    op: dict[str, Any]


def literal_segments(template: str) -> int:
    return sum(1 for s in template.split("/") if s and not s.startswith("{") and s != "**")


class OpenAPIValidator:
    """Validates exchanges against the OpenAPI files, honouring the known differences."""

    def __init__(
        self,
        directory: Path | None = None,
        differences: Iterable[Difference] = KNOWN_DIFFERENCES,
    ) -> None:
        self.directory = directory or openapi_dir()
        self.differences = tuple(differences)
        self.documents: dict[str, dict[str, Any]] = {}
        for name in SPEC_FILES:
            raw = json.loads((self.directory / name).read_text(encoding="utf-8"))
            self.documents[name] = translate_nullable(copy.deepcopy(raw))
        self._validators: dict[str, Draft202012Validator] = {}

    @cached_property
    def registry(self) -> Registry:
        resources = [
            (self.uri(name), Resource.from_contents(doc, default_specification=DRAFT202012))
            for name, doc in self.documents.items()
        ]
        return Registry().with_resources(resources)

    @staticmethod
    def uri(name: str) -> str:
        return f"urn:sim-api:{name}"

    @cached_property
    def operations(self) -> list[tuple[re.Pattern[str], str, str, str, dict[str, Any]]]:
        """(regex, spec, method, template, operation) in lookup order."""
        found = []
        for order, (name, doc) in enumerate(self.documents.items()):
            for template, item in doc.get("paths", {}).items():
                for method in HTTP_METHODS:
                    if method in item:
                        found.append((order, template, name, method, item[method]))
        found.sort(key=lambda f: (-literal_segments(f[1]), f[0]))
        return [(template_regex(t), spec, m, t, op) for _, t, spec, m, op in found]

    def find_operation(self, method: str, path: str) -> Operation | None:
        method = method.lower()
        for regex, spec, m, template, op in self.operations:
            if m != method:
                continue
            match = regex.match(path)
            if match:
                return Operation(spec, self.uri(spec), m, template, match.groupdict(), op)
        return None

    def _deref(self, spec: str, obj: dict[str, Any], where: str) -> tuple[dict[str, Any], str]:
        """Follow a local ``$ref`` (response or header objects); returns (object, its pointer)."""
        seen = 0
        while "$ref" in obj:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"unsupported $ref {ref!r} in {spec}")
            where = ref[1:]
            node: Any = self.documents[spec]
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            obj = node
            seen += 1
            if seen > 20:
                raise ValueError(f"$ref loop at {ref!r}")
        return obj, where

    def validator_for(self, uri: str, schema_pointer: str) -> Draft202012Validator:
        key = uri + "#" + schema_pointer
        if key not in self._validators:
            self._validators[key] = Draft202012Validator({"$ref": key}, registry=self.registry, format_checker=FORMATS)
        return self._validators[key]

    # --- the checks ----------------------------------------------------------------------------

    def difference_for(self, ex: Exchange, op: Operation | None) -> Difference | None:
        for diff in self.differences:
            if diff.opt_in and diff.id not in ex.allow:
                continue
            if diff.matches(ex) and (not diff.only_where_undocumented or not self._documents(op, ex)):
                return diff
        return None

    def _documents(self, op: Operation | None, ex: Exchange) -> bool:
        """Whether the OpenAPI text has a response schema for this status and media type."""
        if op is None:
            return False
        key = self._response_key(op, ex.status)
        if key is None:
            return False
        response, _ = self._deref(op.spec, op.op["responses"][key], "")
        return ex.media_type in (response.get("content") or {})

    @staticmethod
    def _response_key(op: Operation, status: int) -> str | None:
        responses = op.op.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                return key
        return None

    def validate(self, ex: Exchange) -> list[str]:
        """Every way this exchange departs from the OpenAPI text or the covering difference."""
        op = self.find_operation(ex.method, ex.path)
        where = f"{ex.method.upper()} {ex.path} → {ex.status}"
        diff = self.difference_for(ex, op)
        if diff is not None:
            return [f"{where} [{diff.id}]: {e}" for e in diff.check(ex)]
        if op is None:
            return [f"{where}: no operation in the OpenAPI files and no known difference covers it"]
        key = self._response_key(op, ex.status)
        if key is None:
            documented = ", ".join(op.op.get("responses", {}))
            return [f"{where}: status not documented for {op.template} (documented: {documented})"]
        response, response_ptr = self._deref(
            op.spec, op.op["responses"][key], pointer("paths", op.template, op.method, "responses", key)
        )
        problems = self._check_headers(op, response, ex)
        content = response.get("content") or {}
        if not content:
            return [f"{where}: {p}" for p in problems]
        if ex.media_type not in content:
            problems.append(f"Content-Type {ex.media_type!r} not declared (declared: {', '.join(content)})")
            return [f"{where}: {p}" for p in problems]
        if ex.media_type == SSE_MEDIA_TYPE:
            return [f"{where}: {p}" for p in problems]  # frames are checked by contract.SseChecker
        media = content[ex.media_type]
        if "schema" in media:
            schema_ptr = response_ptr + pointer("content", ex.media_type, "schema")
            validator = self.validator_for(op.uri, schema_ptr)
            problems += [_describe(e) for e in validator.iter_errors(ex.body)]
        return [f"{where} ({op.spec}): {p}" for p in problems]

    def _check_headers(self, op: Operation, response: dict[str, Any], ex: Exchange) -> list[str]:
        problems = []
        for name, header in (response.get("headers") or {}).items():
            header, _ = self._deref(op.spec, header, "")
            raw = ex.headers.get(name)
            if raw is None:
                if header.get("required"):
                    problems.append(f"required header {name} missing")
                continue
            schema = header.get("schema")
            if not schema:
                continue
            value = coerce_header(raw, schema)
            validator = Draft202012Validator(schema, format_checker=FORMATS, registry=self.registry)
            problems += [f"header {name}: {_describe(e)}" for e in validator.iter_errors(value)]
        return problems


def coerce_header(raw: str, schema: dict[str, Any]) -> Any:
    """A header's text as the type its schema names (integers stay text if they don't parse)."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", raw.strip()):
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def _describe(error: Any) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    message = error.message if len(error.message) < 300 else error.message[:300] + "…"
    return f"at /{path}: {message}"
