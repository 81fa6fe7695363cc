"""Header aliases come from the layer's declaration (``FieldSpec.aliases``), the common list only for
the geometry and the fields every layer names alike."""

from __future__ import annotations

from layers.catalog import registry
from layers.imports.columns import map_columns


def _spec(name: str):  # type: ignore[no-untyped-def]
    spec = registry().get(name)
    assert spec is not None
    return spec


def test_each_layer_maps_its_own_short_headers() -> None:
    headers = ["名称", "类型", "人数", "村", "东经", "北纬", "备注"]
    assert map_columns(_spec("shelters"), headers).columns == {
        "名称": "name", "类型": "shelter_type", "人数": "capacity", "村": "village_code", "东经": "_lon",
        "北纬": "_lat"}
    care = map_columns(_spec("care_facilities"), [*headers, "床位"])
    assert care.columns == {"名称": "name", "类型": "facility_type", "村": "village_code", "东经": "_lon",
                            "北纬": "_lat", "床位": "beds"}
    assert care.unknown == ["人数", "备注"]


def test_household_headers_are_declared_with_the_household_fields() -> None:
    spec = _spec("households")
    assert {f.name: f.aliases for f in spec.input_fields} == {
        "id_number": ("身份证", "身份证号", "公民身份号码", "idno")}
    mapped = map_columns(spec, ["姓名", "公民身份号码", "保障类别", "人数", "手机号", "家庭住址", "所在村"])
    assert mapped.columns == {"姓名": "head_name", "公民身份号码": "id_number", "保障类别": "categories",
                              "人数": "members", "手机号": "phone", "家庭住址": "address", "所在村": "village_code"}
    # 人数 is a household's members here, not a shelter's capacity: each layer declares its own
    assert map_columns(_spec("shelters"), ["人数"]).columns == {"人数": "capacity"}
