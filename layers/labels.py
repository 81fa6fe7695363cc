"""Names shown to people for the codes the system keeps: accounts and programs that acted, and the
codes of administrative units and place-name classes (shown as 名称（代码）, never the code alone).

Demo and service accounts are named after their role (``funeral_planner``); a person reading a
report sees the role's Chinese title instead. Other account names are people's own and stay.

>>> account_title("funeral_planner"), account_title("demo-loader"), account_title("王一"), account_title(None)
('殡葬规划账号', '示例数据导入程序', '王一', None)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from layers.registry import LayerSpec
from layers.roles import ROLE_TITLES

# codes of the administrative units a field may hold without declaring ``references`` (place names)
UNIT_CODE_FIELDS = {"village_code": "villages", "township_code": "townships"}
# named in the layer description, so that a page names every unit code it shows from the one description
# it loads per layer (a request per code, as the pages once made for townships, is slow on a busy map)
LABELLED_UNITS = frozenset({"villages", "townships"})

PROGRAM_TITLES = {"demo-loader": "示例数据导入程序", "cli:privacy purge": "到期个人信息删除（命令行）",
                  "cli:pinyin regenerate": "拼音重新生成（命令行）"}


def account_title(name: Any) -> Any:
    """The Chinese title of an account or program name; a person's name as it is."""
    if not isinstance(name, str):
        return name
    if name in PROGRAM_TITLES:
        return PROGRAM_TITLES[name]
    return f"{ROLE_TITLES[name]}账号" if name in ROLE_TITLES else name


def code_labels(conn: Connection, spec: LayerSpec) -> dict[str, dict[str, str]]:
    """Field name → {code: name} for the coded fields of ``spec`` whose codes are not choices: village
    codes (the live villages' names) and a place name's class (subclass names of the class table).
    """
    from layers.gazetteer.classes import class_table  # the gazetteer imports the registry: import late

    out: dict[str, dict[str, str]] = {}
    for f in spec.fields:
        table = f.references or UNIT_CODE_FIELDS.get(f.name)
        if table in LABELLED_UNITS:
            rows = conn.execute(text(f"SELECT code, name FROM {table} WHERE retired_at IS NULL ORDER BY code"))
            out[f.name] = {code: name for code, name in rows}
        elif spec.name == "place_names" and f.name == "class_code":
            out[f.name] = {code: c.subclass for code, c in class_table().items()}
    return out
