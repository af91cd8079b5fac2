"""One declaration per endpoint: what it takes and what it answers.

An API view is declared with ``@operation(...)``: a summary, the pydantic model of its JSON body
or query string, the models of its answers and the problems it may answer. The same declaration

- validates the input before the view runs and answers 422 problem+json in the caller's
  language, one message per field (``errors``), never a 500;
- generates the view's entry in the OpenAPI document (``openapi.build_spec`` walks the URL map);
- under ``API_CHECK_RESPONSES`` (the test suite's setting) checks every JSON answer against the
  declared model, so the document cannot drift from what the API sends.

Shape checks live in the models; rules that need the database stay in the domain functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, TypeVar

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticCustomError

from ..clock import parse_iso_date
from ..errors import DomainError, problem

__all__ = [
    "MAX_ID",
    "DbId",
    "Field",
    "Input",
    "IsoDate",
    "Output",
    "Says",
    "StrictBool",
    "StrictInt",
    "StrictStr",
    "Text",
    "checked",
    "operation",
]


class Says:
    """Field-specific messages: ``Annotated[int, Says(missing=_l("Choose an item."))]``.

    ``missing`` is said when the field is absent or empty, ``invalid`` for every other fault.
    """

    def __init__(self, *, missing: Any = None, invalid: Any = None) -> None:
        self.missing = missing
        self.invalid = invalid


def _strip(schema: dict[str, Any]) -> None:
    """The published shapes stay open to new fields (additions are not breaking)."""
    schema.pop("additionalProperties", None)


class Input(BaseModel):
    """A request body or query string. Unknown fields are ignored, as before."""

    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class Output(BaseModel):
    """An answer's shape: documentation, and a check of every answer in the test suite."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_strip)


def _iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        raise PydanticCustomError("iso_date", "")
    day = parse_iso_date(value)
    if day is None:
        raise PydanticCustomError("iso_date", "")
    return day


#: the largest id a row has on every database (INTEGER on PostgreSQL is 32 bits)
MAX_ID = 2**31 - 1
#: a row's id from outside: out of range is a clear 422, never the database's error (a 500)
DbId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]

#: a calendar day sent as YYYY-MM-DD
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def Text(max_length: int, **kw: Any) -> Any:  # noqa: N802  (reads as a type)
    return Annotated[StrictStr, Field(min_length=1, max_length=max_length, **kw)]


def checked(check: Callable[[Any], Any]) -> AfterValidator:
    """Run a domain check (raising DomainError or ValueError with a message) as a validator."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except (DomainError, ValueError) as exc:
            raise PydanticCustomError("domain", "{message}", {"message": str(exc)}) from None

    return AfterValidator(run)


# What a caller is told for each kind of fault pydantic finds (by its error type).
_MISSING = {"missing", "string_too_short", "too_short"}
_DEFAULTS: dict[str, Any] = {
    "int_type": _l("Must be a whole number."),
    "int_parsing": _l("Must be a whole number."),
    "int_from_float": _l("Must be a whole number."),
    "bool_type": _l("Must be true or false."),
    "bool_parsing": _l("Must be true or false."),
    "string_type": _l("Send this field as text."),
    "iso_date": _l("Give a real date as YYYY-MM-DD."),
    "literal_error": _l("Choose one of: %(expected)s."),
    "enum": _l("Choose one of: %(expected)s."),
}

_BOUNDS: dict[str, Any] = {
    "greater_than_equal": _l("Must be at least %(n)s."),
    "greater_than": _l("Must be more than %(n)s."),
    "less_than_equal": _l("Must be at most %(n)s."),
    "less_than": _l("Must be less than %(n)s."),
}


def _message(model: type[BaseModel], error: Mapping[str, Any]) -> tuple[str, str]:
    loc = error["loc"]
    name = str(loc[0]) if loc else ""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    info = model.model_fields.get(name)
    says = next((m for m in (info.metadata if info else ()) if isinstance(m, Says)), None)
    # null or "" where a value is needed is a field left empty, whatever its type
    if kind in _MISSING or (kind != "domain" and error.get("input") in (None, "")):
        if says and says.missing:
            return name, str(says.missing)
        return name, _("This field is required.")
    if says and says.invalid:
        return name, str(says.invalid)
    if kind == "domain":
        return name, str(ctx["message"])
    if kind == "string_too_long":
        return name, _("This field is too long (at most %(n)d characters).", n=ctx["max_length"])
    if kind in _BOUNDS:
        limit = next(ctx[key] for key in ("ge", "gt", "le", "lt") if key in ctx)
        return name, str(_BOUNDS[kind]) % {"n": limit}
    if kind in _DEFAULTS:
        expected = str(ctx.get("expected", "")).replace(" or ", ", ")
        return name, str(_DEFAULTS[kind]) % {"expected": expected}
    return name, _("Please correct this field.")


class InvalidInput(Exception):
    """Raised by ``parse``: the 422 problem+json to answer."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors

    def response(self) -> Response:
        return problem(422, _("Please correct the fields marked."), errors=self.errors)


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate ``data`` against ``model``; one message per field in the caller's language."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors(include_url=False, include_input=True):
            name, message = _message(model, error)
            errors.setdefault(name, [message])
        raise InvalidInput(errors) from None


# ---------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str | None = None
    body: type[Input] | None = None
    body_required: bool = True
    query: type[Input] | None = None
    responses: Mapping[int, Any] = field(default_factory=dict)
    problems: tuple[int, ...] = ()
    staff: bool = False
    #: how the document names a path variable (``{"window_id": "id"}``), as the contract has it
    path_names: Mapping[str, str] = field(default_factory=dict)
    #: what a path variable is, when its name does not say it (by the rule's name)
    path_descriptions: Mapping[str, str] = field(default_factory=dict)
    #: extra parameters the view reads itself (headers), as OpenAPI parameter objects
    parameters: tuple[Mapping[str, Any], ...] = ()
    #: response headers by status, as OpenAPI header objects
    headers: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    #: the largest JSON body taken (``api.MAX_JSON_BYTES`` unless a route needs more)
    max_body: int | None = None


def operation(
    summary: str,
    *,
    description: str | None = None,
    body: type[Input] | None = None,
    body_required: bool = True,
    query: type[Input] | None = None,
    responses: Mapping[int, Any] | None = None,
    problems: Iterable[int] = (),
    staff: bool = False,
    path_names: Mapping[str, str] | None = None,
    path_descriptions: Mapping[str, str] | None = None,
    parameters: Iterable[Mapping[str, Any]] = (),
    headers: Mapping[int, Mapping[str, Any]] | None = None,
    max_body: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API view: the document is built from this, and the input checked by it.

    ``responses`` maps a status to the answer's model (``Ticket``, ``list[Window]``), to a
    ``(description, model)`` pair, or to ``None`` for an answer without a body. With
    ``staff=True`` only signed-in staff get through (before the input is read). The parsed body
    and query arrive as the view's ``body`` and ``query`` keyword arguments.
    """
    declared = Operation(
        summary=summary,
        description=description,
        body=body,
        body_required=body_required,
        query=query,
        responses=dict(responses or {}),
        problems=tuple(sorted(set(problems))),
        staff=staff,
        path_names=dict(path_names or {}),
        path_descriptions=dict(path_descriptions or {}),
        parameters=tuple(parameters),
        headers=dict(headers or {}),
        max_body=max_body,
    )

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        from . import json_body, staff_required

        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                if body is not None:
                    data = json_body(max_body) if max_body else json_body()
                    kwargs["body"] = parse(body, data)
                if query is not None:
                    kwargs["query"] = parse(query, request.args.to_dict())
            except InvalidInput as exc:
                return exc.response()
            answer = view(*args, **kwargs)
            if current_app.config.get("API_CHECK_RESPONSES"):
                check_response(declared, answer)
            return answer

        wrapped = functools.wraps(view)(staff_required(run) if staff else run)
        wrapped.openapi = declared  # type: ignore[attr-defined]
        return wrapped

    return decorate


def declared_operation(view: Callable[..., Any]) -> Operation | None:
    """The declaration of a view, through any decorators that wrapped it."""
    while view is not None:
        found = getattr(view, "openapi", None)
        if isinstance(found, Operation):
            return found
        view = getattr(view, "__wrapped__", None)  # type: ignore[assignment]
    return None


# ---------------------------------------------------------------------------- answers, checked


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _model_of(declared: Any) -> Any:
    if isinstance(declared, tuple):
        return declared[1]
    return declared


def check_response(declared: Operation, answer: Any) -> None:
    """Fail loudly (tests only) when an answer does not match its declaration."""
    response = current_app.make_response(answer)
    status = response.status_code
    if status >= 400:
        assert status in declared.problems or status in (400, 401, 403, 413, 415, 422, 429), (
            f"{request.method} {request.path} answered {status}, not among {declared.problems}"
        )
        return
    assert status in declared.responses, (
        f"{request.method} {request.path} answered {status}, not among {sorted(declared.responses)}"
    )
    model = _model_of(declared.responses[status])
    if model is None or isinstance(model, dict) or status == 304:
        return
    data = response.get_json(silent=True)
    try:
        _adapter(model).validate_python(data)
    except ValidationError as exc:
        raise AssertionError(
            f"{request.method} {request.path} answered what its OpenAPI declaration does not "
            f"say: {exc}"
        ) from None


# ---------------------------------------------------------------------------- the document


class _Schema(GenerateJsonSchema):
    """Schemas without pydantic's generated titles (the names are the documentation)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def generate(self, schema: Any, mode: Any = "validation") -> Any:
        result = super().generate(schema, mode=mode)
        for definition in (result, *result.get("$defs", {}).values()):
            definition.pop("title", None)
            if mode == "serialization":  # an answer has no defaults: a field is there or not
                for prop in definition.get("properties", {}).values():
                    prop.pop("default", None)
        return result


REF = "#/components/schemas/{model}"


def schema_of(model: Any, components: dict[str, Any], *, mode: str = "serialization") -> Any:
    """The JSON schema of ``model`` for the document; named models go to ``components``."""
    if isinstance(model, dict):
        return model
    schema = _adapter(model).json_schema(ref_template=REF, schema_generator=_Schema, mode=mode)
    components.update(schema.pop("$defs", {}))
    if isinstance(model, type) and issubclass(model, BaseModel):
        components[model.__name__] = schema
        return {"$ref": REF.format(model=model.__name__)}
    return schema


def query_parameters(model: type[Input], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _adapter(model).json_schema(ref_template=REF, schema_generator=_Schema)
    components.update(schema.get("$defs", {}))
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        description = prop.pop("description", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


PROBLEM = {"$ref": "#/components/responses/Problem"}
STAFF = [{"bearer": []}, {"session": []}]


def path_parameters(arguments: Mapping[str, str], declared: Operation) -> list[dict[str, Any]]:
    """``arguments``: the rule's variables and their converters (``{"window_id": "int"}``)."""
    parameters = []
    for name, converter in arguments.items():
        parameter: dict[str, Any] = {
            "name": declared.path_names.get(name, name),
            "in": "path",
            "required": True,
            "schema": {"type": "integer" if converter == "int" else "string"},
        }
        if name in declared.path_descriptions:
            parameter["description"] = declared.path_descriptions[name]
        parameters.append(parameter)
    return parameters


def operation_object(
    declared: Operation, arguments: Mapping[str, str], components: dict[str, Any]
) -> dict[str, Any]:
    """The OpenAPI operation object of one declared view."""
    result: dict[str, Any] = {"summary": declared.summary}
    if declared.description:
        result["description"] = declared.description
    parameters = path_parameters(arguments, declared)
    if declared.query is not None:
        parameters += query_parameters(declared.query, components)
    parameters += [dict(p) for p in declared.parameters]
    if parameters:
        result["parameters"] = parameters
    if declared.body is not None:
        result["requestBody"] = {
            "required": declared.body_required,
            "content": {
                "application/json": {
                    "schema": schema_of(declared.body, components, mode="validation")
                }
            },
        }
    responses: dict[str, Any] = {}
    for status, answer in sorted(declared.responses.items()):
        description = answer[0] if isinstance(answer, tuple) else "OK"
        model = _model_of(answer)
        entry: dict[str, Any] = {"description": description}
        if model is not None:
            entry["content"] = {"application/json": {"schema": schema_of(model, components)}}
        if status in declared.headers:
            entry["headers"] = dict(declared.headers[status])
        responses[str(status)] = entry
    problems = set(declared.problems)
    if declared.body is not None or declared.query is not None:
        problems.add(422)
    if declared.body is not None:
        problems.update((400, 413, 415))
    if declared.staff:
        problems.update((401, 403))
        result["security"] = STAFF
    if "int" in arguments.values():
        problems.add(404)  # an id beyond any row's does not even match the route
    if declared.query is not None or "default" in arguments.values():
        problems.add(400)  # a NUL character in the address (security.py)
    for status in sorted(problems):
        responses[str(status)] = PROBLEM
    result["responses"] = responses
    return result
