"""Operations of any AWS service as botocore's models describe them: its serializers and parsers.

Everything off the hot path goes through here: WorkSpaces' other operations, and the control
plane (STS, Organizations, EC2, Security Hub), whatever their protocol (JSON, query, EC2,
REST-JSON). botocore builds each request and reads each answer, errors included; this module
only moves its results onto the one signed path every call takes, and is strict where botocore is
lenient on purpose: its parsers drop what they do not know, so ``{"status": "ok"}`` parses as an
empty page. Here a JSON member must have the type its shape says, and the members an operation
cannot answer without (``required``) must be there, else the answer is a
``MalformedResponseError`` and is retried, never an empty listing or a role without keys.

botocore's parsers log whole response bodies at DEBUG level, and some bodies hold secrets (an
AssumeRole answer's keys): an operation whose output has a member the model marks sensitive is
parsed with that logging off, so no log level can show them.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.parsers import ResponseParserFactory
from botocore.serialize import create_serializer
from botocore.utils import parse_timestamp
from botocore.validate import ParamValidator

from imgperms_async._exceptions import ClientError, ParamValidationError, error_class_for
from imgperms_async._http import HttpRequest, HttpResponse
from imgperms_async._protocol import malformed, response_metadata

CUT_MODELS: Final = Path(__file__).with_name("_botocore_data")
"""botocore service models cut to the operations called here, found before botocore's own (as
``AWS_DATA_PATH`` models are): EC2's whole model takes about 20 MB of memory, and an audit calls
DescribeRegions alone. ``tests/unit/test_cut_models.py`` holds each cut to the installed model."""

_JSON_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
}
_PARSER_LOG: Final = logging.getLogger("botocore.parsers")
_WIRE_PROTOCOLS: Final = ("json", "rest-json", "query", "ec2")
"""The protocols spoken here, as AWS JSON 1.1 is on the hot path: a model that offers several
(WorkSpaces also offers Smithy RPC v2 CBOR) is spoken in the first of these it lists."""


def _timestamp(value: str | float) -> datetime.datetime:
    """botocore's timestamp parsing, with AWS's usual form read by the standard library first.

    botocore hands every string to dateutil, which took two thirds of the time to read an
    AssumeRole answer: 0.1 ms of each account an organization audit reaches. ``...Z`` is how STS
    and the XML services write every timestamp; anything else still goes to botocore."""
    if isinstance(value, str) and value.endswith("Z"):
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
    # (botocore-stubs type the value as a string; JSON answers give epoch numbers too.)
    return parse_timestamp(value)  # type: ignore[arg-type]


_PARSERS: Final = ResponseParserFactory()
_PARSERS.set_parser_defaults(timestamp_parser=_timestamp)


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of a service, loaded once (a compressed file read: call it in a thread)."""
    loader = Loader(extra_search_paths=[str(CUT_MODELS)])
    return ServiceModel(loader.load_service_model(service, "service-2"), service)


def wire_protocol(model: ServiceModel) -> str:
    offered = model.metadata.get("protocols") or [model.protocol]
    return next((p for p in offered if p in _WIRE_PROTOCOLS), model.protocol)


class ModeledOperation:
    """One operation whose input is checked, and whose request and answer are built and read, by
    botocore itself.

    ``required`` names paths that must be in every answer: ``"Images"`` a top-level member,
    ``"Credentials.AccessKeyId"`` a nested one, ``"Images[].ImageId"`` a member of each entry of
    a list. Building one loads the service's model: do it in a worker thread.
    """

    def __init__(self, service: str, name: str, *, required: Sequence[str] = ()) -> None:
        model = service_model(service)
        operation = model.operation_model(name)
        if operation.output_shape is None:
            raise ValueError(f"{service} {name} has no output shape in the service model")
        self.name = name
        self.service = service
        self._model = operation
        self._output_shape: Shape = operation.output_shape
        self._protocol = wire_protocol(model)
        self._serializer = create_serializer(self._protocol, include_validation=False)
        self._parser = _PARSERS.create_parser(self._protocol)
        self._required = tuple(required)
        self._sensitive = _holds_sensitive(self._output_shape)

    @property
    def model(self) -> OperationModel:
        return self._model

    def validate(self, params: Mapping[str, Any]) -> None:
        """botocore's own parameter checks; a problem raises before anything is sent."""
        if self._model.input_shape is None:
            if params:
                raise ParamValidationError(report=f"{self.name} takes no parameters")
            return
        report = ParamValidator().validate(params, self._model.input_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())

    def request(self, params: Mapping[str, Any], base_url: str) -> HttpRequest:
        serialized = self._serializer.serialize_to_request(dict(params), self._model)
        url = base_url.rstrip("/") + serialized["url_path"]
        query = serialized["query_string"]
        if query:
            url += "?" + (query if isinstance(query, str) else urlencode(query, doseq=True))
        body = serialized["body"]
        if isinstance(body, dict):
            body = urlencode(body, doseq=True)
        if isinstance(body, str):
            body = body.encode()
        return HttpRequest(url, dict(serialized["headers"]), body, serialized["method"])

    def result(self, params: Mapping[str, Any], response: HttpResponse) -> dict[str, Any]:
        if self._protocol in ("json", "rest-json"):
            self._check_json(response)
        parsed = self._parse(response)
        parsed.pop("ResponseMetadata", None)
        problem = next((p for path in self._required if (p := _missing(parsed, path))), None)
        if problem is not None:
            raise malformed(response, problem)
        return parsed

    def error(self, response: HttpResponse) -> ClientError:
        parsed = self._parse(response)
        error = parsed.get("Error") or {}
        code = str(error.get("Code") or response.status)
        error_response: dict[str, Any] = {
            "Error": {"Message": str(error.get("Message") or ""), "Code": code},
            "ResponseMetadata": response_metadata(response),
        }
        error_class = error_class_for(code)
        # The generic parse holds only ``Error``: the error shape's own members are read with
        # that shape, as botocore's endpoint does before boto3 copies them to the top.
        # (botocore-stubs type the code as an int; botocore looks up the code's string.)
        error_shape = self._model.service_model.shape_for_error_code(code)  # type: ignore[arg-type]
        modeled = parsed if error_shape is None else self._parse(response, error_shape)
        for member in error_class.members:
            if isinstance(value := modeled.get(member), str):
                error_response[member] = value
        return error_class(error_response, self.name)  # type: ignore[arg-type]

    def _parse(self, response: HttpResponse, shape: Shape | None = None) -> dict[str, Any]:
        answer = {
            "status_code": response.status,
            "headers": response.headers,
            "body": response.body,
        }
        with _quiet(self._sensitive):
            parsed: dict[str, Any] = self._parser.parse(answer, shape or self._output_shape)
        return parsed

    def _check_json(self, response: HttpResponse) -> None:
        try:
            decoded = json.loads(response.body) if response.body else {}
        except ValueError:
            raise malformed(response, "the body is not JSON") from None
        problem = _type_problem(decoded, self._output_shape, "the body")
        if problem is not None:
            raise malformed(response, problem)


@contextmanager
def _quiet(sensitive: bool) -> Iterator[None]:
    """botocore's parser logger off while it reads an answer holding secrets. Parsing is
    synchronous, so nothing else on the event loop runs meanwhile."""
    if not sensitive or _PARSER_LOG.disabled:
        yield
        return
    _PARSER_LOG.disabled = True
    try:
        yield
    finally:
        _PARSER_LOG.disabled = False


def _holds_sensitive(shape: Shape, seen: frozenset[str] = frozenset()) -> bool:
    if shape.serialization.get("sensitive") or shape.metadata.get("sensitive"):
        return True
    if shape.name in seen:
        return False
    seen = seen | {shape.name}
    if isinstance(shape, StructureShape):
        return any(_holds_sensitive(member, seen) for member in shape.members.values())
    if isinstance(shape, ListShape):
        return _holds_sensitive(shape.member, seen)
    if isinstance(shape, MapShape):
        return _holds_sensitive(shape.value, seen)
    return False


def _type_problem(value: Any, shape: Shape, where: str) -> str | None:
    """The first member whose JSON type is not what its shape says; JSON null means absent."""
    if value is None:
        return None
    expected = _JSON_TYPES.get(shape.type_name, (object,))
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        return f"{where} is a {type(value).__name__}, not a {shape.type_name}"
    # A member's path is only spelled out for a member that is there: a page of images has a
    # dozen members per image, most of them absent, and every page of an audit is checked.
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        prefix = "" if where == "the body" else f"{where}."
        for name, member in shape.members.items():
            if member.serialization.get("location") not in (None, ""):
                continue
            child = value.get(member.serialization.get("name", name))
            if child is not None and (problem := _type_problem(child, member, prefix + name)):
                return problem
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for index, item in enumerate(value):
            if item is not None and (
                problem := _type_problem(item, shape.member, f"{where}[{index}]")
            ):
                return problem
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            if item is not None and (
                problem := _type_problem(item, shape.value, f"{where}[{key!r}]")
            ):
                return problem
    return None


def _missing(parsed: Mapping[str, Any], path: str) -> str | None:
    """The first place ``path`` is absent, if any: ``A``, ``A.B`` or ``A[].B``."""
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    name = head.removesuffix("[]")
    value = parsed.get(name)
    if value is None:
        return f"{name} is missing"
    if not rest:
        return None
    entries = value if many else [value]
    for index, entry in enumerate(entries):
        problem = _missing(entry, rest) if isinstance(entry, Mapping) else f"{rest} is missing"
        if problem is not None:
            return f"{name}[{index}]: {problem}" if many else f"{name}: {problem}"
    return None
