"""Names shown to people for the codes the system keeps: accounts and programs that acted.

Demo and service accounts are named after their role (``funeral_planner``); a person reading a
report sees the role's Chinese title instead. Other account names are people's own and stay.

>>> account_title("funeral_planner"), account_title("demo-loader"), account_title("王一"), account_title(None)
('殡葬规划账号', '示例数据导入程序', '王一', None)
"""

from __future__ import annotations

from typing import Any

from layers.roles import ROLE_TITLES

PROGRAM_TITLES = {"demo-loader": "示例数据导入程序", "cli:privacy purge": "到期个人信息删除（命令行）",
                  "cli:pinyin regenerate": "拼音重新生成（命令行）"}


def account_title(name: Any) -> Any:
    """The Chinese title of an account or program name; a person's name as it is."""
    if not isinstance(name, str):
        return name
    if name in PROGRAM_TITLES:
        return PROGRAM_TITLES[name]
    return f"{ROLE_TITLES[name]}账号" if name in ROLE_TITLES else name
