"""Operations described by botocore's WorkSpaces service model: validation and output as boto3 has them.

Used for the calls off the hot path (DescribeWorkspaceImages). Loading the model reads a compressed
JSON file, so it happens once, on first use, in a worker thread.

botocore's parser is lenient on purpose: it drops what it does not know, so ``{"status": "ok"}``
parses as an empty page. Here every member must have the JSON type its shape says, and the
members an operation cannot answer without (``required``) must be there, else the answer is a
``MalformedResponseError`` and is retried, never an empty listing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final

from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape
from botocore.parsers import JSONParser
from botocore.validate import ParamValidator

from imgperms_async._exceptions import ParamValidationError
from imgperms_async._http import HttpResponse
from imgperms_async._protocol import Operation, malformed

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


@functools.cache
def _service_model() -> ServiceModel:
    return ServiceModel(Loader().load_service_model("workspaces", "service-2"), "workspaces")


class ModeledOperation:
    """One operation whose input is checked and whose output is parsed by botocore itself.

    ``required`` names paths that must be in every answer: ``"Images"`` a top-level member,
    ``"Images[].ImageId"`` a member of each entry of a list.
    """

    def __init__(self, name: str, *, required: Sequence[str] = ()) -> None:
        model = _service_model().operation_model(name)
        if model.input_shape is None or model.output_shape is None:
            raise ValueError(f"{name} has no input or output shape in the service model")
        self._input_shape = model.input_shape
        self._output_shape = model.output_shape
        self._required = tuple(required)
        self.operation = Operation(name, self._shape)

    def validate(self, params: Mapping[str, Any]) -> None:
        report = ParamValidator().validate(params, self._input_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())

    def _shape(
        self, params: Mapping[str, Any], response: HttpResponse, decoded: Any
    ) -> dict[str, Any]:
        problem = _type_problem(decoded, self._output_shape, "the body") or next(
            (p for path in self._required if (p := _missing(decoded, path))), None
        )
        if problem is not None:
            raise malformed(response, problem)
        parsed: dict[str, Any] = JSONParser().parse(
            {"status_code": 200, "headers": response.headers, "body": response.body},
            self._output_shape,
        )
        parsed.pop("ResponseMetadata", None)
        return parsed


def _type_problem(value: Any, shape: Shape, where: str) -> str | None:
    """The first member whose JSON type is not what its shape says; JSON null means absent."""
    if value is None:
        return None
    expected = _JSON_TYPES.get(shape.type_name, (object,))
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        return f"{where} is a {type(value).__name__}, not a {shape.type_name}"
    children: list[tuple[Any, Shape, str]] = []
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        prefix = "" if where == "the body" else f"{where}."
        children = [(value.get(n), m, f"{prefix}{n}") for n, m in shape.members.items()]
    elif isinstance(shape, ListShape) and isinstance(value, list):
        children = [(item, shape.member, f"{where}[{i}]") for i, item in enumerate(value)]
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        children = [(item, shape.value, f"{where}[{k!r}]") for k, item in value.items()]
    return next((p for c in children if (p := _type_problem(*c))), None)


def _missing(decoded: dict[str, Any], path: str) -> str | None:
    """``"Images"`` or ``"Images[].ImageId"``: the first place the path is absent, if any."""
    head, _, rest = path.partition("[].")
    value = decoded.get(head)
    if value is None:
        return f"{head} is missing"
    if rest:
        for index, entry in enumerate(value):
            if entry is None or entry.get(rest) is None:
                return f"{head}[{index}] has no {rest}"
    return None
