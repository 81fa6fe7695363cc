"""The service's own long work as jobs: the place-name dictionary PDF and the county's suitable land.

Only the calls move here from the routers; the rules stay in ``layers.gazetteer`` and ``layers.siting``.
"""

from __future__ import annotations

from typing import Any

from formats.documents import to_pdf
from gis_server.jobs.registry import FileOutput, JobContext, handler
from layers.gazetteer import publication
from layers.siting import rules, suitable

DICTIONARY = "place_names.dictionary"
SUITABLE_COUNTY = "siting.suitable_county"


@handler(DICTIONARY)
def dictionary_pdf(ctx: JobContext, params: dict[str, Any]) -> FileOutput:
    township, class_code, historical = params.get("township_code"), params.get("class_code"), \
        bool(params.get("include_historical"))
    ctx.progress(0.05, "读取地名")
    with ctx.db.replica() as conn:
        rows = publication.directory_rows(conn, township, class_code, historical)
        variants = publication.variants_by_place(conn, [r["id"] for r in rows])
    ctx.progress(0.3, f"排版 {len(rows)} 条地名")
    content = to_pdf(publication.dictionary_document(rows, variants, township, class_code))
    return FileOutput(content, "application/pdf", "place_name_dictionary.pdf", "海城市地名词典.pdf",
                      {"entries": len(rows)})


@handler(SUITABLE_COUNTY)
def suitable_county(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx.progress(0.05, "计算全市可选址用地")
    with ctx.db.transaction() as conn:  # one transaction: stopped midway, the old result stays whole
        rule_set = rules.get_rule_set(conn, params["rule_set_id"], params["rule_set_version"])
        done = suitable.compute_county(conn, rule_set)
    return {**done, "rule_set": {"id": rule_set.id, "version": rule_set.version}}
