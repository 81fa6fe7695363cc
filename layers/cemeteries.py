"""Village public cemeteries, columbaria (公墓、骨灰堂) and scattered graves (散坟)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped

from layers.base import Base, FeatureMixin, field, geometry_column
from layers.errors import InvalidInput
from layers.registry import LayerSpec
from layers.roles import EVERYONE, FUNERAL_PLANNER

THEME = "公墓与散坟"

CEMETERY_TYPES = {"village_public": "农村公益性墓地", "urban_public": "城市公益性公墓",
                  "columbarium": "骨灰堂", "commercial": "经营性公墓"}
CEMETERY_STATUS = {"existing": "已建成", "planned": "规划", "under_construction": "建设中", "full": "已满"}
GRAVE_STATUS = {"to_move": "待迁移", "moved": "已迁移", "deep_buried": "已深埋", "retained": "保留"}
# the three kinds of grave the remediation plan names (散埋乱葬、硬化大墓、活人墓)
GRAVE_KINDS = {"scattered": "散埋乱葬", "hardened": "硬化大墓", "living_person": "活人墓"}


class Cemetery(FeatureMixin, Base):
    __tablename__ = "cemeteries"

    name: Mapped[str] = field(Text, "名称", required=True)
    cemetery_type: Mapped[str] = field(String(24), "类型", choices=CEMETERY_TYPES, required=True,
                                         aliases=("公墓类型",))
    status: Mapped[str] = field(String(24), "状态", choices=CEMETERY_STATUS, required=True)
    village_code: Mapped[str | None] = field(String(12), "所在村代码", references="villages")
    # quantities and money: never negative
    area_m2: Mapped[float | None] = field(Float, "占地面积", unit="m²", minimum=0)
    plots_total: Mapped[int | None] = field(Integer, "墓穴（格位）总数", unit="个", minimum=0)
    plots_used: Mapped[int | None] = field(Integer, "已使用", unit="个", minimum=0)
    investment_yuan: Mapped[float | None] = field(Float, "投资额", unit="元", minimum=0)
    # 《殡葬管理条例》 Art. 9: a village public cemetery serves its own villagers; other villages only
    # by a recorded agreement (its document number), never because they lie nearby
    serves_villages: Mapped[list[str] | None] = field(ARRAY(String(12)), "按协议服务的其他村（代码）")
    service_agreement: Mapped[str | None] = field(Text, "服务协议文号")
    geom = geometry_column("MultiPolygon")


class ScatteredGrave(FeatureMixin, Base):
    __tablename__ = "scattered_graves"

    # a record is at least one grave
    grave_count: Mapped[int] = field(Integer, "坟数", required=True, server_default="1", minimum=1)
    kind: Mapped[str] = field(String(16), "类型", choices=GRAVE_KINDS, required=True, server_default="scattered",
                              index=True)
    status: Mapped[str] = field(String(16), "处置状态", choices=GRAVE_STATUS, required=True,
                                server_default="to_move")
    status_reason: Mapped[str | None] = field(Text, "处置说明")
    village_code: Mapped[str | None] = field(String(12), "所在村代码", index=True, references="villages")
    geom = geometry_column("Point")


WRITERS = frozenset({FUNERAL_PLANNER})


def _stored(ctx: Any, column: str) -> Any:
    if ctx.feature_id is None:
        return None
    return ctx.conn.execute(text(f"SELECT {column} FROM cemeteries WHERE id = :id"),  # noqa: S608 (a fixed name)
                            {"id": ctx.feature_id}).scalar()


def prepare_cemetery(properties: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Villages served by agreement: live 村委会 codes, each once, only with the agreement's document number."""
    codes = properties["serves_villages"] if "serves_villages" in properties else _stored(ctx, "serves_villages")
    agreement = (properties["service_agreement"] if "service_agreement" in properties
                 else _stored(ctx, "service_agreement"))
    if "serves_villages" in properties and codes is not None:
        if any(not isinstance(c, str) for c in codes) or len(set(codes)) != len(codes):
            raise InvalidInput("按协议服务的村应为不重复的村代码列表", "serves_villages must be distinct codes",
                               field="serves_villages")
        known = set(ctx.conn.execute(text(  # a village (村委会); 社区 and 居委会 are served by urban cemeteries
            "SELECT code FROM villages WHERE retired_at IS NULL AND coalesce(kind, 'village') = 'village' "
            "AND code = ANY(:codes)"), {"codes": codes}).scalars())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise InvalidInput(f"按协议服务的村中，以下代码不是现有的村委会：{'、'.join(unknown)}",
                               "unknown village codes in serves_villages", field="serves_villages", codes=unknown)
        properties = {**properties, "serves_villages": codes or None}
    if codes and not (agreement or "").strip():
        raise InvalidInput("为其他村服务须填写服务协议文号（《殡葬管理条例》第九条：农村公益性墓地为本村村民服务）",
                           "serves_villages needs service_agreement", field="service_agreement")
    return properties

LAYERS = [
    LayerSpec("cemeteries", "公墓", THEME, Cemetery, "MultiPolygon", EVERYONE, WRITERS, natural_key=("name",),
              style={"color": "#2e7d32", "weight": 2, "fillOpacity": 0.4}, prepare_write=prepare_cemetery),
    LayerSpec("scattered_graves", "散坟", THEME, ScatteredGrave, "Point", EVERYONE, WRITERS, large=True,
              title_field="status", style={"color": "#6d4c41", "radius": 3}),
]
