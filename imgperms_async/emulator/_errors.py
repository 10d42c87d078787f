"""The one exception the request pipeline raises to answer with an AWS JSON 1.1 error."""

from __future__ import annotations

__all__ = ["ServiceError"]


class ServiceError(Exception):
    """An error answer: raised anywhere in the pipeline, rendered once by the server."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
