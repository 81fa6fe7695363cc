"""Background jobs in the database: status and progress for the page, one run shared by everyone who
asks for the same work.

Use from a router::

    from gis_server.jobs import FileOutput, JobContext, handler, submit_and_answer

    @handler("compliance.recheck")            # once, at import time of your module
    def recheck(ctx: JobContext, params: dict) -> dict:
        with ctx.db.transaction() as conn:     # do the work in one transaction: killed midway, nothing is written
            ...
            ctx.progress(0.5, "已检查一半")
        return {"checked": 120}                # or FileOutput(bytes, media_type, filename, title)

    @router.post("/recheck", status_code=202)
    def start(request: Request, actor: CurrentActor):
        return submit_and_answer(request.app, "compliance.recheck", key="county", params={}, actor=actor)

``submit(app, kind, key, params, requested_by) -> job_id`` is the bare call. The ``key`` names the work:
requests with the same kind and key while one is pending share its run and its result, so put into the
key everything the result depends on — the parameters, and the requester's role scope when what a role
may see differs (e.g. ``f"{county}|{'personal' if can_reveal else 'masked'}"``). Handlers run in a worker
thread with no request: check permissions in the router before submitting. The answer's
``status_url`` (``GET /api/jobs/{id}``) gives status and progress; ``result_url`` the file.
"""

from gis_server.jobs.api import job_view, submit, submit_and_answer
from gis_server.jobs.registry import FileOutput, JobContext, handler, register

__all__ = ["FileOutput", "JobContext", "handler", "job_view", "register", "submit", "submit_and_answer"]
