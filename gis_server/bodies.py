"""Request bodies of the JSON routes as Pydantic models, so that ``/docs`` shows each schema and the
shape of a body (which fields, of which JSON type, which are required) is checked in one place, with
the Chinese 422 of ``gis_server.errors`` naming the field by its title.

The models check shape only. What a value means (a geometry inside Haicheng, a rule not below its
legal floor, a date in order, a line that exists) stays with the domain function the route calls,
which gets ``body.given()``: the fields the client sent, as the plain dict it has always read.
Scalars are strict (``"3"`` is not the integer 3), as the hand-written checks were before.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictBool, StrictFloat, StrictInt, StrictStr

Number = StrictInt | StrictFloat
GEOMETRY = "几何（GeoJSON，默认经纬度）"
CRS = "坐标系（如 EPSG:4550，默认 EPSG:4490）"


class Body(BaseModel):
    """A JSON object body; an unknown field is refused (a misspelt field is not silently ignored)."""

    model_config = ConfigDict(extra="forbid")

    def given(self) -> dict[str, Any]:
        """The fields the client sent (unsent ones stay absent, as the domain functions expect)."""
        return self.model_dump(exclude_unset=True)


# --- features (GeoJSON, RFC 7946 §3.2) -------------------------------------------------------------

class FeaturePatch(BaseModel):
    """A partial GeoJSON Feature: only the properties (and geometry) to change."""

    model_config = ConfigDict(extra="allow", title="GeoJSON Feature")  # RFC 7946 allows "id", "bbox", …
    type: Literal["Feature"] | None = Field(None, title="类型")
    geometry: Any = Field(None, title=GEOMETRY)
    properties: dict[str, Any] | None = Field(None, title="属性")
    # a name, or the GeoJSON 2008 {"type": "name", "properties": {"name": …}}: read by routers.features._feature_body
    crs: Any = Field(None, title=CRS)

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class FeatureBody(FeaturePatch):
    """A whole GeoJSON Feature (create, replace)."""

    type: Literal["Feature"] = Field(title="类型")


class RestoreBody(Body):
    version: StrictInt = Field(ge=1, title="要恢复的版本号")


# --- siting ----------------------------------------------------------------------------------------

class RuleSetBody(Body):
    name: StrictStr | None = Field(None, title="规则集名称")
    description: StrictStr | None = Field(None, title="说明")
    rules: list[dict[str, Any]] | None = Field(None, title="规则")
    copy_of: StrictInt | None = Field(None, title="复制的规则集编号")
    note: StrictStr | None = Field(None, title="修改说明")


class RuleSetVersionBody(Body):
    based_on: StrictInt = Field(title="所编辑的版本")
    rules: list[dict[str, Any]] | None = Field(None, title="要改的规则")
    note: StrictStr | None = Field(None, title="修改说明")


class SiteBody(Body):
    """A site to check; other fields are ignored (clients check a candidate's own body before saving it)."""

    model_config = ConfigDict(extra="ignore")
    geometry: Any = Field(None, title=GEOMETRY)
    crs: StrictStr | None = Field(None, title=CRS)
    rule_set: StrictInt | None = Field(None, title="规则集编号")
    rule_set_version: StrictInt | None = Field(None, title="规则集版本")


class CandidateBody(Body):
    geometry: Any = Field(None, title=GEOMETRY)
    crs: StrictStr | None = Field(None, title=CRS)
    rule_set: StrictInt | None = Field(None, title="规则集编号")
    name: StrictStr | None = Field(None, title="候选地名称")
    village_code: StrictStr | None = Field(None, title="村（社区）代码")
    note: StrictStr | None = Field(None, title="说明")


class CandidateStatusBody(Body):
    status: StrictStr | None = Field(None, title="状态")
    note: StrictStr | None = Field(None, title="说明")


class SitingParametersBody(Body):
    """Coverage parameters of one scope; ranges are checked by ``layers.siting.coverage.validate_parameters``."""

    death_rate: Number | None = Field(None, title="死亡率")
    cycle_years: Number | None = Field(None, title="周转年限")
    public_share: Number | None = Field(None, title="公益性公墓安葬比例")
    serving_statuses: list[StrictStr] | None = Field(None, title="计入的公墓状态（仅全市）")
    public_types: list[StrictStr] | None = Field(None, title="计入的公墓类型（仅全市）")


class GraveStatusBody(Body):
    status: StrictStr | None = Field(None, title="处置状态")
    reason: StrictStr | None = Field(None, title="理由")


# --- inspections -----------------------------------------------------------------------------------

class CampaignBody(Body):
    name: StrictStr | None = Field(None, title="联检任务名称")
    year: StrictInt | None = Field(None, title="年度")
    round: StrictInt | None = Field(None, title="轮次")
    line_ids: list[StrictInt] | None = Field(None, title="界线")
    kind: StrictStr | None = Field(None, title="类型")
    trigger: StrictStr | None = Field(None, title="起因")
    team_a: Any = Field(None, title="甲方检查组")
    team_b: Any = Field(None, title="乙方检查组")
    start_date: StrictStr | None = Field(None, title="开始日期")
    end_date: StrictStr | None = Field(None, title="结束日期")
    tolerance_m: Number | None = Field(None, title="位移容差（米）")
    tolerance_basis: StrictStr | None = Field(None, title="容差依据")
    notes: StrictStr | None = Field(None, title="备注")


class CampaignStatusBody(Body):
    status: StrictStr = Field(title="状态")
    end_date: StrictStr | None = Field(None, title="结束日期")


class RecordBody(Body):
    client_id: StrictStr = Field(title="客户端记录标识（8–100 个字符，如 UUID）")
    marker_id: StrictInt = Field(title="界桩编号")
    condition: StrictStr | None = Field(None, title="界桩状况")
    measured_at: StrictStr | None = Field(None, title="检查时间")
    geometry: Any = Field(None, title=GEOMETRY)
    crs: StrictStr | None = Field(None, title=CRS)
    inspector: StrictStr | None = Field(None, title="检查人")
    inspector_partner: StrictStr | None = Field(None, title="对方检查人")
    reference_check: Any = Field(None, title="参照物核对")
    notes: StrictStr | None = Field(None, title="备注")
    photo_names: list[StrictStr] | None = Field(None, title="照片文件名")
    accuracy_m: Number | None = Field(None, title="定位精度（米）")


class FindingBody(Body):
    line_id: StrictInt | None = Field(None, title="界线编号")
    kind: StrictStr | None = Field(None, title="情况类型")
    description: StrictStr | None = Field(None, title="情况描述")
    handling: StrictStr | None = Field(None, title="处理意见")
    geometry: Any = Field(None, title=GEOMETRY)
    crs: StrictStr | None = Field(None, title=CRS)


class ResurveyBody(Body):
    record_id: StrictInt | None = Field(None, title="检查记录编号")
    document: StrictStr | None = Field(None, title="批准文件号")
    confirmations: Any = Field(None, title="界线双方的确认")
    geometry: Any = Field(None, title=GEOMETRY)
    crs: StrictStr | None = Field(None, title=CRS)
    survey_method: StrictStr | None = Field(None, title="测量方法")
    accuracy_m: Number | None = Field(None, title="精度（米）")
    survey_date: StrictStr | None = Field(None, title="测量日期")


# --- coverage --------------------------------------------------------------------------------------

class NetworkParametersBody(Body):
    """Road-network speeds; values are checked by ``layers.coverage.refresh.save_params``."""

    walking: dict[str, Any] | None = Field(None, title="步行")
    driving: dict[str, Any] | None = Field(None, title="车行")
    display_buffer_m: Number | None = Field(None, title="显示缓冲（米）")


class OfficerBody(Body):
    role: StrictStr = Field(title="角色")
    unit_code: StrictStr = Field(title="单位代码")
    name: StrictStr = Field(title="姓名")
    phone: StrictStr | None = Field(None, title="联系电话")
    note: StrictStr | None = Field(None, title="备注")


# --- continuous compliance ------------------------------------------------------------------------

class NoteBody(Body):
    """A 待办 item acknowledged or resolved (``layers.compliance.todo.act`` requires the note to acknowledge)."""

    note: StrictStr | None = Field(None, title="说明")


# --- imports ---------------------------------------------------------------------------------------

class FieldMapping(RootModel[dict[str, StrictStr]]):
    """A file's columns to the layer's fields: ``{"列名": "字段名"}``; ``""`` leaves a column out."""

    model_config = ConfigDict(title="字段对应关系")


# --- printing --------------------------------------------------------------------------------------

class PrintOverlay(Body):
    """A page's own overlay (not a registry layer): geometry under one legend entry."""

    title: StrictStr = Field(title="图例名称")
    color: StrictStr = Field(title="线色（#rrggbb）")
    fill: StrictStr | None = Field(None, title="填充色（#rrggbb）")
    dashed: StrictBool | None = Field(None, title="虚线")
    opacity: Number | None = Field(None, title="填充透明度（0–1）")
    features: list[dict[str, Any]] = Field(title="要素（[{geometry, radius_m}]，经纬度）")


class PrintBody(Body):
    """A map sheet to print (``layers.printing.parse_request`` checks the values)."""

    bbox: list[Number] = Field(title="打印范围（经纬度 [最小经度, 最小纬度, 最大经度, 最大纬度]）")
    layers: list[StrictStr] = Field(default_factory=list, title="图层")
    title: StrictStr | None = Field(None, title="图名")
    size: StrictStr | None = Field(None, title="纸张（A4/A3）")
    orientation: StrictStr | None = Field(None, title="方向（landscape/portrait）")
    format: StrictStr | None = Field(None, title="格式（pdf/png）")
    overlays: list[PrintOverlay] | None = Field(None, title="页面自有叠加图层（服务半径、分级设色等）")
