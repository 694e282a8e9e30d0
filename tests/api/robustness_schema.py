"""The robustness sweep's view of the app: every operation, read from the app's own OpenAPI
schema (plus the few routes kept out of it), and a small JSON-schema checker that says whether
a value breaks what the schema declares."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# Parameter names Litestar fills itself or by dependency injection: never query parameters.
_INJECTED = {"self", "request", "data", "runtime", "user", "maybe_user", "admin", "state", "scope",
             "headers", "cookies", "query", "body", "socket", "idempotency_key"}


@dataclass(frozen=True)
class Operation:
    """One (method, path) of the app, with the schemas of its parameters and body."""

    method: str  # upper case
    path: str  # OpenAPI template, e.g. /api/v1/workshops/{workshop_id}
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    query_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    header_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # the resolved request body schema, None without a body
    body_component: str | None = None  # e.g. "WorkshopCreate"
    documented: bool = True

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, **values: Any) -> str:
        return self.path.format(**{k: values[k] for k in self.path_params})


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The schema with every `$ref` replaced by its component (recursively; no cycles here)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return resolve(components[_ref_name(schema)], components)
        return {k: resolve(v, components) if k != "examples" else v for k, v in schema.items()}
    if isinstance(schema, list):
        return [resolve(item, components) for item in schema]
    return schema


def operations_from_schema(schema: dict[str, Any]) -> list[Operation]:
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            params: dict[str, dict[str, dict[str, Any]]] = {"path": {}, "query": {}, "header": {}}
            for param in operation.get("parameters", []):
                params.setdefault(param["in"], {})[param["name"]] = {
                    **resolve(param.get("schema", {}), components),
                    "required": param.get("required", False)}
            body = component = None
            content = (operation.get("requestBody") or {}).get("content", {})
            if content:
                raw = next(iter(content.values()))["schema"]
                component = _ref_name(raw) or next(
                    (_ref_name(v) for v in raw.get("oneOf", []) if _ref_name(v)), None)
                body = resolve(raw, components)
            found.append(Operation(method.upper(), path, params["path"], params["query"],
                                   params["header"], body, component))
    return found


def hidden_operations(app: Any, documented: list[Operation]) -> list[Operation]:
    """Routes left out of the schema (dev pages): their path and query parameters from the
    handlers' signatures, so the sweep covers them too. Schema UIs are the framework's own."""
    from litestar.params import KwargDefinition

    known = {(op.method, op.path) for op in documented}
    found = []
    for route in app.routes:
        template = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if template.startswith("/schema"):
            continue
        for handler in route.route_handlers:
            for method in sorted(getattr(handler, "http_methods", ())):
                if method in ("OPTIONS", "HEAD") or (method, template) in known:
                    continue
                path_params = {name: {"type": "integer" if p.type is int else "string"}
                               for name, p in route.path_parameters.items()}
                query: dict[str, dict[str, Any]] = {}
                for name, fd in handler.parsed_fn_signature.parameters.items():
                    if name in _INJECTED or name in path_params or name in handler.resolve_dependencies():
                        continue
                    kwarg = fd.kwarg_definition if isinstance(fd.kwarg_definition, KwargDefinition) else None
                    spec: dict[str, Any] = {"type": "integer" if fd.annotation is int else "string"}
                    for key, bound in (("minimum", "ge"), ("maximum", "le")):
                        if kwarg is not None and getattr(kwarg, bound, None) is not None:
                            spec[key] = getattr(kwarg, bound)
                    query[getattr(kwarg, "query", None) or name] = spec
                found.append(Operation(method, template, path_params, query, documented=False))
                known.add((method, template))
    return found


# ------------------------------------------------------------------ does a value break a schema?

def variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a (resolved) schema: its oneOf/anyOf members, or itself."""
    for key in ("oneOf", "anyOf"):
        if key in schema:
            out = []
            for member in schema[key]:
                out.extend(variants(member))
            return out
    return [schema]


def types_of(schema: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for variant in variants(schema):
        kind = variant.get("type")
        if isinstance(kind, list):
            found.update(kind)
        elif kind:
            found.add(kind)
        elif "const" in variant or "enum" in variant:
            found.update(_json_type(v) for v in variant.get("enum", [variant.get("const")]))
    return found


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _datetime_ok(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)  # Python 3.11 reads RFC 3339, "Z" included
    except ValueError:
        return False
    return True


def breaks(value: Any, schema: dict[str, Any]) -> bool:
    """True when `value` cannot satisfy any alternative of the (resolved) schema."""
    return all(_breaks_variant(value, variant) for variant in variants(schema))


def _breaks_variant(value: Any, schema: dict[str, Any]) -> bool:
    kind = _json_type(value)
    wanted = schema.get("type")
    if "const" in schema and value != schema["const"]:
        return True
    if "enum" in schema and value not in schema["enum"]:
        return True
    if wanted:
        allowed = set(wanted) if isinstance(wanted, list) else {wanted}
        if "number" in allowed:
            allowed.add("integer")
        if kind not in allowed:
            return True
    if kind == "string":
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**9):
            return True
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return True
        if schema.get("format") == "date-time" and not _datetime_ok(value):
            return True
    if kind in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return True
        if "maximum" in schema and value > schema["maximum"]:
            return True
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return True
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            return True
    if kind == "array":
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 10**9):
            return True
        if "items" in schema and any(breaks(item, schema["items"]) for item in value):
            return True
    if kind == "object" and "properties" in schema:
        if any(name not in value for name in schema.get("required", [])):
            return True
        for name, item in value.items():
            if name in schema["properties"] and breaks(item, schema["properties"][name]):
                return True
    return False


def object_variant(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The object alternative of a schema (a Struct, possibly nullable), if it has one."""
    return next((v for v in variants(schema) if v.get("type") == "object" and "properties" in v), None)
