"""Domain errors → HTTP statuses, registered once. Users read Chinese; logs keep the detail."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, ProgrammingError
from starlette.exceptions import HTTPException as StarletteHTTPException

from layers.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionRequired,
    Throttled,
    Unauthenticated,
    VersionConflict,
)

log = logging.getLogger("gis_server")

STATUS = {
    NotFound: 404,
    InvalidInput: 422,
    PreconditionRequired: 428,
    VersionConflict: 412,
    Conflict: 409,
    Forbidden: 403,
    Unauthenticated: 401,
    Throttled: 429,
}


def status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _request_validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, object]]]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        if err.get("type") == "json_invalid":
            message = "请求体不是合法的 JSON"
        elif err.get("type") == "missing":
            message = f"缺少参数 {where}"
        else:
            message = f"参数 {where} 无效"
        problems.append({"field": where, "message": message, "message_en": err.get("msg")})
    return "；".join(str(p["message"]) for p in problems) or "请求无效", problems


HTTP_MESSAGES = {400: "请求格式不正确（例如上传的文件不完整）", 404: "未找到", 405: "不支持该请求方法",
                 413: "上传的内容太大", 415: "不支持的内容类型"}

# unique rules whose values must not be echoed (a keyed hash of an ID number), in words instead
UNIQUE_MESSAGES = {
    "ix_households_id_number_hash": "该身份证号码已登记在另一户在册的困难群众户中",
}


def _key_detail(detail: str) -> str:
    """``Key (line_id, number)=(1, 001) already exists.`` → ``line_id, number = 1, 001``."""
    if detail.startswith("Key (") and ")=(" in detail:
        keys, _, rest = detail[5:].partition(")=(")
        return f"{keys} = {rest.split(')')[0]}"
    return detail


def register_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if "retry_after" in exc.details:
            headers = {"Retry-After": str(exc.details["retry_after"])}
        return JSONResponse(exc.to_dict(), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, problems = _request_validation_message(exc)
        return JSONResponse({"error": "invalid_input", "message": message,
                             "message_en": "invalid request", "problems": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = HTTP_MESSAGES.get(exc.status_code, f"请求无法处理（HTTP {exc.status_code}）")
        return JSONResponse({"error": "http_error", "message": message, "message_en": str(exc.detail)},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        # the transaction was rolled back: nothing changed. Say which rule, not the SQL.
        diag = getattr(exc.orig, "diag", None)
        detail = getattr(diag, "message_detail", None) or ""
        sqlstate = getattr(exc.orig, "sqlstate", "")
        constraint = getattr(diag, "constraint_name", None)
        if sqlstate == "23505" and constraint in UNIQUE_MESSAGES:
            message, status, detail = UNIQUE_MESSAGES[constraint], 409, constraint
        elif sqlstate == "23505":
            message, status = f"与已有记录重复：{_key_detail(detail)}", 409
        elif sqlstate == "23503":
            message, status = f"引用的记录不存在：{_key_detail(detail)}", 422
        else:
            message, status = "数据不符合约束条件", 422
        log.info("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        return JSONResponse({"error": "conflict" if status == 409 else "invalid_input", "message": message,
                             "message_en": detail or "constraint violated"}, status_code=status)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        log.info("data error on %s %s: %s", request.method, request.url.path, exc.orig)
        return JSONResponse({"error": "invalid_input", "message": "字段值的格式或长度不正确",
                             "message_en": "invalid value"}, status_code=422)

    @app.exception_handler(ProgrammingError)
    async def programming_error(request: Request, exc: ProgrammingError) -> JSONResponse:
        # a value the driver cannot send (an object or a list where text belongs) came from the request;
        # any other programming error is ours
        if "cannot adapt type" in str(exc.orig):
            log.info("unadaptable value on %s %s: %s", request.method, request.url.path, exc.orig)
            return JSONResponse({"error": "invalid_input",
                                 "message": "某个字段的值类型不对（应为文本或数字，不能是对象或列表）",
                                 "message_en": "a value has the wrong type"}, status_code=422)
        return await unexpected(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal", "message": "服务器内部错误，请稍后重试或联系管理员",
                             "message_en": "internal server error"}, status_code=500)
