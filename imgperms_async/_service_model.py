"""Operations described by botocore's WorkSpaces service model: validation and output as boto3 has them.

Used for the calls off the hot path (DescribeWorkspaceImages). Loading the model reads a compressed
JSON file, so it happens once, on first use, in a worker thread.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import JSONParser
from botocore.validate import ParamValidator

from imgperms_async._exceptions import MalformedResponseError, ParamValidationError
from imgperms_async._http import HttpResponse
from imgperms_async._protocol import Operation


@functools.cache
def _service_model() -> ServiceModel:
    return ServiceModel(Loader().load_service_model("workspaces", "service-2"), "workspaces")


class ModeledOperation:
    """One operation whose input is checked and whose output is parsed by botocore itself."""

    def __init__(self, name: str) -> None:
        model = _service_model().operation_model(name)
        if model.input_shape is None or model.output_shape is None:
            raise ValueError(f"{name} has no input or output shape in the service model")
        self._input_shape = model.input_shape
        self._output_shape = model.output_shape
        self.operation = Operation(name, self._shape)

    def validate(self, params: Mapping[str, Any]) -> None:
        report = ParamValidator().validate(params, self._input_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())

    def _shape(self, response: HttpResponse, decoded: Any) -> dict[str, Any]:
        if not isinstance(decoded, dict):
            raise MalformedResponseError("the body is not a JSON object")
        try:
            parsed: dict[str, Any] = JSONParser().parse(
                {"status_code": 200, "headers": response.headers, "body": response.body},
                self._output_shape,
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise MalformedResponseError(f"the body does not fit the output shape: {exc}") from exc
        parsed.pop("ResponseMetadata", None)
        return parsed
