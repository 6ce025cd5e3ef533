"""Every failure the stand-in answers with, as an exception that becomes an ``ErrorBody``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from sync_agent.wire.rest import ErrorBody, ErrorCode

T = TypeVar("T")


class ApiError(Exception):
    """A non-2xx answer: HTTP status, machine code, human message, the service that said it."""

    def __init__(self, status: int, code: ErrorCode, message: str, service: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(code=code, message=message, service=service)
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return error_response(self.status, self.body, self.headers)


def refusal(code: ErrorCode, message: str, service: str = "rental") -> ApiError:
    """A business rule said no: 409."""
    return ApiError(409, code, message, service)


def not_found(what: str, service: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, f"{what} not found", service)


def found(row: T | None, what: str, service: str) -> T:
    """The row, or a 404 naming what was looked for."""
    if row is None:
        raise not_found(what, service)
    return row


def invalid(message: str, code: ErrorCode = ErrorCode.VALIDATION_ERROR) -> ApiError:
    return ApiError(422, code, message)


def service_down(service: str, retry_after: int) -> ApiError:
    return ApiError(503, ErrorCode.SERVICE_DOWN,
                    f"the {service} service is unavailable, please try again shortly", service,
                    {"Retry-After": str(retry_after)})


def error_response(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json", by_alias=True), status, headers=headers)


_HTTP_CODES = {401: ErrorCode.UNAUTHORIZED, 403: ErrorCode.FORBIDDEN, 404: ErrorCode.NOT_FOUND,
               413: ErrorCode.PAYLOAD_TOO_LARGE}


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors())
    return error_response(422, ErrorBody(code=ErrorCode.VALIDATION_ERROR,
                                         message=problems or "invalid request"))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.VALIDATION_ERROR)
    return error_response(exc.status_code, ErrorBody(code=code, message=str(exc.detail)),
                          dict(exc.headers or {}))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    return error_response(500, ErrorBody(code=ErrorCode.INTERNAL_ERROR,
                                         message=f"internal error: {type(exc).__name__}"))


HANDLERS: dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]] = {
    ApiError: _api_error,
    RequestValidationError: _validation_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
"""Exception handlers for ``FastAPI(exception_handlers=HANDLERS)``."""
