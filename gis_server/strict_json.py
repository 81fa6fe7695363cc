"""Refuse JSON request bodies with non-finite numbers, for every route (ASGI middleware).

Python's JSON reader, which FastAPI uses, accepts the literals ``NaN``, ``Infinity`` and ``-Infinity``
(not JSON, RFC 8259 §6) and reads ``1e400`` as infinity; stored, such a value broke every analysis
that read it (issue 13). The refusal names where the value is (``请求体.properties.capacity``).
Bodies without such a literal or a 3-digit exponent are not parsed twice. (``layers.schemas`` checks
the same again for callers that do not come through HTTP.)
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from layers.errors import InvalidInput
from layers.inputs import refuse_non_finite

_SUSPECT = re.compile(rb"NaN|Infinity|[eE][+-]?0*\d{3}")


def non_finite_problem(body: bytes) -> InvalidInput | None:
    """The refusal of a JSON ``body`` with a non-finite number, naming where it is; None when there is
    none (or the body is not JSON: the route says so).

    >>> non_finite_problem(b'{"a": [1, 2e3]}') is None, non_finite_problem(b'{"a": [NaN]}').message[:15]
    (True, '请求体.a[0] 的值 NaN')
    """
    if not _SUSPECT.search(body):
        return None
    try:
        refuse_non_finite(json.loads(body), "请求体")
    except InvalidInput as exc:
        return exc
    except ValueError:
        return None
    return None


class RefuseNonFiniteJson:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers") or ()).get(b"content-type", b"") if scope["type"] == "http" else b""
        if b"json" not in content_type:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        problem = non_finite_problem(body)
        if problem is not None:
            await _refuse(send, problem)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, problem: InvalidInput) -> None:
    payload = json.dumps(problem.to_dict(), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
