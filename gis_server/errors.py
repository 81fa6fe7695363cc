"""Domain errors → HTTP statuses, registered once. Users read Chinese; logs keep the detail."""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from starlette.exceptions import HTTPException as StarletteHTTPException

from formats.errors import MissingFont
from gis_server.observability import REQUEST_ID_HEADER, current_request_id, request_id_of
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


_TYPE_MESSAGES = {
    "missing": "为必填项", "string_too_short": "不能为空", "string_too_long": "太长（最多 {max_length} 个字）",
    "int_parsing": "应为整数", "int_type": "应为整数", "float_parsing": "应为数值", "float_type": "应为数值",
    "bool_parsing": "应为是/否", "bool_type": "应为是/否", "greater_than_equal": "应不小于 {ge}",
    "greater_than": "应大于 {gt}", "less_than_equal": "应不大于 {le}", "less_than": "应小于 {lt}",
    "literal_error": "只能是 {expected}", "enum": "只能是 {expected}", "string_type": "应为文本",
    "date_parsing": "应为日期（YYYY-MM-DD）", "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "extra_forbidden": "不是可接受的字段", "dict_type": "应为对象", "list_type": "应为列表",
    "model_attributes_type": "应为 JSON 对象", "model_type": "应为 JSON 对象",
}


def _labels(request: Request) -> dict[tuple[str, str], str]:
    """(where, name) → the Chinese title of a body field or the description of a query/path parameter."""
    route = request.scope.get("route")
    labels: dict[tuple[str, str], str] = {}
    dependant = getattr(route, "dependant", None)
    for where in ("query", "path"):
        for param in getattr(dependant, f"{where}_params", None) or ():
            description = getattr(getattr(param, "field_info", None), "description", None)
            if description:
                labels[(where, param.name)] = description.split("（")[0]
    model = getattr(getattr(getattr(route, "body_field", None), "field_info", None), "annotation", None)
    if model is not None and hasattr(model, "model_fields"):  # the body as a whole: 请求体（GeoJSON Feature）
        title = model.model_config.get("title")
        labels[("body", "")] = f"请求体（{title}）" if title else "请求体"
    for name, field in (getattr(model, "model_fields", None) or {}).items():
        if field.title or field.description:
            labels[("body", name)] = field.title or field.description
    return labels


def _request_validation_message(request: Request, exc: RequestValidationError) -> tuple[str, list[dict[str, object]]]:
    labels = _labels(request)
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        name = ".".join(loc[1:]) or ".".join(loc)
        label = labels.get((loc[0], loc[1] if len(loc) > 1 else ""))  # ("body",): the body as a whole
        subject = f"{label}（{name}）" if label and len(loc) > 1 else label or name
        if err.get("type") == "json_invalid":
            message = "请求体不是合法的 JSON"
        else:
            template = _TYPE_MESSAGES.get(str(err.get("type")), "无效")
            try:
                message = subject + template.format(**(err.get("ctx") or {}))
            except (KeyError, IndexError):
                message = subject + "无效"
        problems.append({"field": name, "message": message, "message_en": err.get("msg")})
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


def page_error(status: int, message: str, request_id: str | None = None) -> HTMLResponse:
    """An error as a small Chinese page, for people who opened a page (not the API) in a browser; the
    message may quote the address (a layer name), so it is escaped. The request id is printed so that
    the user can quote it to the administrator.
    """
    message = html.escape(message)
    request_id = request_id or current_request_id()
    quoted = f'<p style="color:#666">请求编号：<code>{html.escape(request_id)}</code></p>' if request_id else ""
    return HTMLResponse(
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{message}</title></head><body style="font-family:'
        f'sans-serif;max-width:40em;margin:3em auto;padding:0 1em"><h1>{message}</h1>{quoted}'
        f'<p><a href="/">返回地图</a></p></body></html>', status_code=status)


class PageAnswer(Exception):
    """A page's answer given by one of its dependencies (the sign-in redirect, a 403 or 404 page), so that
    a page route, too, declares its permission instead of checking it by hand (``routers.pages.PageLayer``).
    """

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _wants_page(request: Request) -> bool:
    return (not request.url.path.startswith(("/api/", "/tiles/", "/static/"))
            and "text/html" in request.headers.get("accept", ""))


def register_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 401 and request.url.path.startswith("/ogc"):  # desktop GIS clients sign in with Basic
            headers = {"WWW-Authenticate": 'Basic realm="haicheng-gis", charset="UTF-8", Bearer'}
        if "retry_after" in exc.details:
            headers = {"Retry-After": str(exc.details["retry_after"])}
        return JSONResponse(exc.to_dict(), status_code=status, headers=headers)

    @app.exception_handler(PageAnswer)
    async def page_answer(request: Request, exc: PageAnswer) -> Response:
        return exc.response

    @app.exception_handler(MissingFont)
    async def missing_font(request: Request, exc: MissingFont) -> JSONResponse:
        log.error("cannot draw Chinese text: %s", exc.message_en)
        return JSONResponse({"error": "missing_font", "message": exc.message, "message_en": exc.message_en},
                            status_code=503)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _wants_page(request):  # /place-names/abc typed into the address bar
            return page_error(404, "未找到该页面")
        message, problems = _request_validation_message(request, exc)
        return JSONResponse({"error": "invalid_input", "message": message, "message_en": "invalid request",
                             "field": problems[0]["field"] if problems else None, "problems": problems},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = HTTP_MESSAGES.get(exc.status_code, f"请求无法处理（HTTP {exc.status_code}）")
        if exc.status_code == 404 and _wants_page(request):
            return page_error(404, "未找到该页面")
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
    async def programming_error(request: Request, exc: ProgrammingError) -> Response:
        # a value the driver cannot send (an object or a list where text belongs) came from the request;
        # any other programming error is ours
        if "cannot adapt type" in str(exc.orig):
            log.info("unadaptable value on %s %s: %s", request.method, request.url.path, exc.orig)
            return JSONResponse({"error": "invalid_input",
                                 "message": "某个字段的值类型不对（应为文本或数字，不能是对象或列表）",
                                 "message_en": "a value has the wrong type"}, status_code=422)
        return await unexpected(request, exc)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_unavailable(request: Request, exc: OperationalError | InterfaceError) -> Response:
        # the database stopped, restarts or refuses connections: say so at once, and let the pool
        # reconnect on a later request (SQLAlchemy drops every pooled connection after a disconnect)
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
        message = "数据库暂时无法访问，请稍后重试"
        response: Response
        if _wants_page(request):
            response = page_error(503, message)
        else:
            response = JSONResponse({"error": "unavailable", "message": message,
                                     "message_en": "database unavailable"}, status_code=503)
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # runs outside the request observer (Starlette's outermost layer): the id is on the request's state
        request_id = request_id_of(request.scope)
        log.exception("unhandled error on %s %s", request.method, request.url.path,
                      extra={"request_id": request_id})
        headers = {REQUEST_ID_HEADER: request_id} if request_id else None
        message = "服务器内部错误，请稍后重试或联系管理员"
        if _wants_page(request):
            response = page_error(500, message + "（请告知请求编号）", request_id)
            response.headers.update(headers or {})
            return response
        return JSONResponse({"error": "internal", "message": message, "message_en": "internal server error",
                             "request_id": request_id}, status_code=500, headers=headers)
