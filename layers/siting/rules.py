"""三沿六区 rule sets as data: the constraint kinds, the rules, the legal floors and versioning.

A rule set has an id and immutable versions; a version is the full list of rules, one per
constraint kind (and per road/railway class). Editing creates a new version. The shipped default
and the legal floors come from ``data/rules/sanyan_liuqu_default.json`` (DOMAIN.md §5).

>>> key("highway", "expressway"), key("basic_farmland", None)
('highway.expressway', 'basic_farmland')
>>> is_violated(499.94, 500, inside=False), is_violated(499.96, 500, inside=False)
(True, False)
>>> is_violated(0.0, 0, inside=False), is_violated(0.0, 0, inside=True), is_violated(None, 500, inside=False)
(False, True, False)
>>> edge_distance(31.0, 28.0), edge_distance(10.0, 28.0), edge_distance(None, 28.0)
(17.0, 0.0, None)
>>> corridor_width("highway", "expressway"), corridor_width("railway", "high_speed"), corridor_width("river", None)
(28.0, 13.6, None)
>>> sourceless("地方参数，来源：某省《殡葬管理办法》"), sourceless("500 米取自山东省民政厅实践")
(True, False)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from layers.constraints import RAILWAY_CLASSES, ROAD_CLASSES
from layers.errors import InvalidInput, NotFound, VersionConflict
from layers.inputs import text_or_none
from layers.roles import Actor

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "rules" / "sanyan_liuqu_default.json"
GRADES = ("law", "report", "default", "local")
# what a basis says when it has no real source: such a rule is a local parameter, never a hard ban
SOURCELESS_MARKERS = ("无出处", "未查到出处", "某省", "某市", "某地")
LOCAL_PREFIX = "地方参数，来源："
MAX_DISTANCE_M = 50_000.0


@dataclass(frozen=True)
class Constraint:
    """A kind of 三沿六区 constraint and the layer whose features it measures against."""

    name: str
    label: str
    layer: str
    class_column: str | None = None
    classes: dict[str, str] | None = None
    areal: bool = True
    # a road or railway: the law measures from the edge of its land, not its centreline (DOMAIN.md §5)
    corridor: bool = False


CONSTRAINTS: dict[str, Constraint] = {c.name: c for c in (
    Constraint("highway", "公路", "roads", "road_class", ROAD_CLASSES, areal=False, corridor=True),
    Constraint("railway", "铁路", "railways", "railway_class", RAILWAY_CLASSES, areal=False, corridor=True),
    Constraint("river_embankment", "河流与河堤", "rivers", areal=False),
    Constraint("basic_farmland", "基本农田保护区", "basic_farmland"),
    Constraint("cultivated_land", "耕地", "cultivated_land"),
    Constraint("forest_land", "林地", "forest_land"),
    Constraint("urban_planning", "城镇规划区", "urban_planning_zones"),
    Constraint("urban_park", "城市公园", "urban_parks"),
    Constraint("scenic_area", "风景名胜区", "scenic_areas"),
    Constraint("nature_reserve", "自然保护区", "nature_reserves"),
    Constraint("water_source", "水源保护区", "water_source_zones"),
    Constraint("heritage_site", "文物保护区", "heritage_sites"),
)}


# Graves inside these are forbidden by law (《殡葬管理条例》 Art. 10 (一) cultivated land (basic farmland is
# part of it) and forest land, (二) city parks, scenic and heritage areas, (三) water sources; nature reserves
# by their own regulation): whatever a rule set says, inside is a hard violation.
# Urban planning zones are not in the list: that ban is a local parameter, not a law (see the rule file)
FORBIDDEN_INSIDE = frozenset({"basic_farmland", "cultivated_land", "forest_land", "urban_park", "scenic_area",
                              "nature_reserve", "water_source", "heritage_site"})


def key(constraint: str, cls: str | None) -> str:
    return f"{constraint}.{cls}" if cls else constraint


def all_keys() -> list[str]:
    """Every rule a complete rule set has, in display order."""
    out: list[str] = []
    for c in CONSTRAINTS.values():
        classes: list[str | None] = list(c.classes) if c.classes else [None]
        out.extend(key(c.name, cls) for cls in classes)
    return out


def is_violated(distance_m: float | None, required_m: float, *, inside: bool) -> bool:
    """The one rule of violation, used by site checks and the graves batch.

    Decided on the distance as reported (rounded to 0.1 m), so that what users read agrees:
    a site at exactly the required distance passes; ``distance < required`` violates. A required
    distance of 0 means "inside is forbidden": only an overlap of interiors violates, touching does not.
    """
    if distance_m is None:  # no feature of this kind anywhere
        return False
    if required_m <= 0:
        return inside
    return round(distance_m, 1) < required_m


def edge_distance(centreline_m: float | None, width_m: float) -> float | None:
    """Distance to a corridor's edge from the distance to its centreline: never below 0."""
    return None if centreline_m is None else max(centreline_m - width_m / 2, 0.0)


def sourceless(basis: str) -> bool:
    """Whether a rule's basis admits it has no (or only a vague) source."""
    return any(marker in basis for marker in SOURCELESS_MARKERS)


@dataclass(frozen=True)
class Rule:
    constraint: str
    cls: str | None
    distance_m: float
    hard: bool
    basis: str
    grade: str = "default"

    @property
    def key(self) -> str:
        return key(self.constraint, self.cls)

    @property
    def kind(self) -> Constraint:
        return CONSTRAINTS[self.constraint]

    @property
    def label(self) -> str:
        kind = self.kind
        return kind.classes[self.cls] if kind.classes and self.cls else kind.label

    @property
    def legal_floor_m(self) -> float | None:
        """The distance below which the site breaks the law whether this rule is hard or advisory
        (0 = inside the zone), or None when the law sets none.
        """
        floor = legal_floors().get(self.key)
        if floor:
            return float(floor["distance_m"])
        return 0.0 if self.constraint in FORBIDDEN_INSIDE else None

    @property
    def default_width_m(self) -> float | None:
        """The corridor's default full width (to the edges the law measures from), None for other kinds."""
        return corridor_width(self.constraint, self.cls)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["class"] = out.pop("cls")
        return {"rule": self.key, "label": self.label, "layer": self.kind.layer, **out}


@dataclass(frozen=True)
class RuleSetVersion:
    id: int
    name: str
    version: int
    rules: tuple[Rule, ...]
    note: str | None = None
    created_at: str | None = None
    created_by: str | None = None
    is_default: bool = False
    latest_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version, "is_default": self.is_default,
                "latest_version": self.latest_version, "note": self.note, "created_at": self.created_at,
                "created_by": self.created_by, "rules": [r.to_dict() for r in self.rules]}


@cache
def shipped() -> dict[str, Any]:
    """The shipped default document (rules, legal floors, coverage parameters), read once."""
    return json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


@cache  # asked for every rule of every site and grave checked: built once (read-only for callers)
def legal_floors() -> dict[str, dict[str, Any]]:
    """``{"highway.expressway": {"distance_m": 30, "basis": "《公路安全保护条例》…"}, …}``."""
    return {key(f["constraint"], f["class"]): {"distance_m": float(f["distance_m"]), "basis": f["basis"]}
            for f in shipped()["legal_floors"]}


@cache
def corridor_widths() -> dict[str, dict[str, Any]]:
    """``{"highway.expressway": {"width_m": 28.0, "basis": "…"}, …}``: roadbed + a land strip each side."""
    widths = shipped()["corridor_widths"]
    out = {}
    for constraint in ("highway", "railway"):
        margin_basis = widths[f"{constraint}_margin_basis"]
        for cls, w in widths[constraint].items():
            width = float(w["roadbed_m"]) + 2 * float(w["margin_m"])
            out[key(constraint, cls)] = {
                "width_m": width, "roadbed_m": float(w["roadbed_m"]), "margin_m": float(w["margin_m"]),
                "basis": f"默认宽度 {width:g} 米 = 路基 {w['roadbed_m']:g} 米 + 两侧各 {w['margin_m']:g} 米。"
                         f"路基：{w['roadbed_basis']}；两侧：{margin_basis}"}
    return out


def corridor_width(constraint: str, cls: str | None) -> float | None:
    found = corridor_widths().get(key(constraint, cls))
    return None if found is None else found["width_m"]


def _invalid(message: str, message_en: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, message_en, field="rules", **details)


def parse_rule(raw: Any, new: bool = True) -> Rule:
    """One rule from its JSON form, checked (kind, class, distance, grade, basis, legal floor); a ``new``
    rule (not a stored version, which stays as it was saved) may not be a hard ban without a source.
    """
    if not isinstance(raw, dict):
        raise _invalid("每条规则应为对象", "each rule must be an object")
    for name in ("constraint", "class", "grade", "basis"):
        text_or_none(raw, name)
    kind = CONSTRAINTS.get(raw.get("constraint"))  # type: ignore[arg-type]
    if kind is None:
        raise _invalid(f"未知的约束类型“{raw.get('constraint')}”，可选：{'、'.join(CONSTRAINTS)}",
                       f"unknown constraint {raw.get('constraint')!r}")
    cls = raw.get("class")
    if kind.classes and cls not in kind.classes:
        raise _invalid(f"{kind.label}规则需要等级 class：{'、'.join(kind.classes)}",
                       f"{kind.name} needs a class among {sorted(kind.classes)}")
    if not kind.classes and cls is not None:
        raise _invalid(f"{kind.label}规则不分等级（class 应为空）", f"{kind.name} takes no class")
    distance = raw.get("distance_m")
    if isinstance(distance, bool) or not isinstance(distance, (int, float)) or not 0 <= distance <= MAX_DISTANCE_M:
        raise _invalid(f"{key(kind.name, cls)} 的距离应为 0–{MAX_DISTANCE_M:.0f} 米", "distance_m out of range",
                       rule=key(kind.name, cls))
    hard, basis, grade = raw.get("hard", True), raw.get("basis"), raw.get("grade", "default")
    if not isinstance(hard, bool):
        raise _invalid("hard 应为 true（强制）或 false（建议）", "hard must be a boolean")
    if not isinstance(basis, str) or not basis.strip():
        raise _invalid(f"{key(kind.name, cls)} 缺少依据（basis）", "basis is required", rule=key(kind.name, cls))
    if grade not in GRADES:
        raise _invalid(f"依据等级 grade 应为 {'、'.join(GRADES)}", "grade must be law, report, default or local")
    if new and hard and (grade == "local" or sourceless(basis)):
        raise _invalid(f"{key(kind.name, cls)} 的依据无出处（或出处不明），只能作为地方参数（建议性规则，"
                       f"hard 为 false，依据写明“{LOCAL_PREFIX}…”），不能作为强制禁止",
                       "a rule without a source cannot be hard", rule=key(kind.name, cls))
    basis = basis.strip()
    if grade == "local" and not basis.startswith(LOCAL_PREFIX):  # a local parameter says that it is one
        basis = LOCAL_PREFIX + basis
    rule = Rule(kind.name, cls, float(distance), hard, basis, grade)
    floor = legal_floors().get(rule.key)
    if floor and rule.distance_m < floor["distance_m"]:
        raise _invalid(f"{rule.label}的距离 {rule.distance_m:g} 米低于法定下限 {floor['distance_m']:g} 米"
                       f"（{floor['basis']}）", f"{rule.key} below the legal floor {floor['distance_m']} m",
                       rule=rule.key, legal_floor_m=floor["distance_m"])
    return rule


def parse_rules(raw: Any) -> tuple[Rule, ...]:
    """A complete rule list: every constraint kind (and class) exactly once, in display order."""
    if not isinstance(raw, list):
        raise _invalid("rules 应为规则列表", "rules must be a list")
    rules = {}
    for item in raw:
        rule = parse_rule(item)
        if rule.key in rules:
            raise _invalid(f"规则 {rule.key} 重复", f"duplicate rule {rule.key}", rule=rule.key)
        rules[rule.key] = rule
    missing = [k for k in all_keys() if k not in rules]
    if missing:
        raise _invalid(f"规则集不完整，缺少：{'、'.join(missing)}", f"missing rules: {missing}", missing=missing)
    return tuple(rules[k] for k in all_keys())


def merge_rules(base: tuple[Rule, ...], changes: Any) -> tuple[Rule, ...]:
    """Apply partial rules (matched by constraint + class) onto ``base``; returns a checked full list."""
    if not isinstance(changes, list):
        raise _invalid("rules 应为规则列表", "rules must be a list")
    merged = {r.key: r.to_dict() for r in base}
    for change in changes:
        if not isinstance(change, dict):
            raise _invalid("每条规则应为对象", "each rule must be an object")
        k = key(text_or_none(change, "constraint") or "", text_or_none(change, "class"))
        merged[k] = {**merged.get(k, {}), **change}
    return parse_rules(list(merged.values()))


# --- storage --------------------------------------------------------------------------------

def _version_from_row(row: Any) -> RuleSetVersion:
    return RuleSetVersion(id=row.id, name=row.name, version=row.version,
                          rules=tuple(parse_rule(r, new=False) for r in row.rules), note=row.note,
                          created_at=row.created_at.isoformat(), created_by=row.created_by,
                          is_default=row.is_default, latest_version=row.latest)


_VERSION_SQL = """
    SELECT s.id, s.name, s.is_default, v.version, v.rules, v.note, v.created_at, v.created_by,
           (SELECT max(version) FROM siting_rule_set_versions WHERE rule_set_id = s.id) AS latest
    FROM siting_rule_sets s JOIN siting_rule_set_versions v ON v.rule_set_id = s.id
"""


def get_rule_set(conn: Connection, rule_set_id: int | None = None, version: int | None = None) -> RuleSetVersion:
    """A version of a rule set (default: the latest version of the default rule set)."""
    where = "s.id = :id" if rule_set_id is not None else "s.is_default"
    where += " AND v.version = :version" if version is not None else ""
    row = conn.execute(text(f"{_VERSION_SQL} WHERE {where} ORDER BY v.version DESC LIMIT 1"),
                       {"id": rule_set_id, "version": version}).first()
    if row is None:
        what = f"编号 {rule_set_id}" if rule_set_id is not None else "默认"
        raise NotFound(f"没有{what}的规则集{f'第 {version} 版' if version else ''}",
                       f"rule set {rule_set_id or 'default'} version {version or 'latest'} not found")
    return _version_from_row(row)


def list_rule_sets(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(text(
        "SELECT s.id, s.name, s.description, s.is_default, s.created_at, s.created_by, max(v.version) AS latest "
        "FROM siting_rule_sets s JOIN siting_rule_set_versions v ON v.rule_set_id = s.id "
        "GROUP BY s.id ORDER BY s.is_default DESC, s.id")).all()
    return [{"id": r.id, "name": r.name, "description": r.description, "is_default": r.is_default,
             "latest_version": r.latest, "created_at": r.created_at.isoformat(), "created_by": r.created_by}
            for r in rows]


def list_versions(conn: Connection, rule_set_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(text("SELECT version, note, created_at, created_by FROM siting_rule_set_versions "
                             "WHERE rule_set_id = :id ORDER BY version"), {"id": rule_set_id}).all()
    if not rows:
        raise NotFound(f"没有编号 {rule_set_id} 的规则集", f"rule set {rule_set_id} not found")
    return [{"version": r.version, "note": r.note, "created_at": r.created_at.isoformat(),
             "created_by": r.created_by} for r in rows]


def _insert_version(conn: Connection, rule_set_id: int, version: int, rules: tuple[Rule, ...], note: str | None,
                    actor: Actor) -> None:
    stored = [{"constraint": r.constraint, "class": r.cls, "distance_m": r.distance_m, "hard": r.hard,
               "basis": r.basis, "grade": r.grade} for r in rules]
    conn.execute(text("INSERT INTO siting_rule_set_versions (rule_set_id, version, rules, note, created_by) "
                      "VALUES (:id, :version, CAST(:rules AS jsonb), :note, :by)"),
                 {"id": rule_set_id, "version": version, "rules": json.dumps(stored, ensure_ascii=False),
                  "note": note, "by": actor.name})


def create_version(conn: Connection, rule_set_id: int, changes: Any, based_on: int, actor: Actor,
                   note: str | None = None) -> RuleSetVersion:
    """Edit a rule set: ``changes`` (full or partial rules) onto version ``based_on``, which must be the latest."""
    current = get_rule_set(conn, rule_set_id)
    if based_on != current.version:
        raise VersionConflict(f"规则集已被他人修改：您编辑的是第 {based_on} 版，当前为第 {current.version} 版",
                              f"rule set version conflict: {based_on} vs {current.version}",
                              current_version=current.version)
    # the row lock serialises concurrent editors; the primary key refuses a duplicate version anyway
    conn.execute(text("SELECT 1 FROM siting_rule_sets WHERE id = :id FOR UPDATE"), {"id": rule_set_id})
    rules = merge_rules(current.rules, changes)
    _insert_version(conn, rule_set_id, current.version + 1, rules, note, actor)
    return get_rule_set(conn, rule_set_id)


def create_rule_set(conn: Connection, name: str, description: str | None, actor: Actor,
                    rules: Any = None, copy_of: int | None = None, note: str | None = None) -> RuleSetVersion:
    """A new rule set at version 1: given rules, or a copy (with changes) of another set's latest version."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("请给出规则集名称 name", "name is required", field="name")
    base = get_rule_set(conn, copy_of).rules if copy_of is not None or rules is None else None
    parsed = merge_rules(base, rules or []) if base is not None else parse_rules(rules)
    new_id = conn.execute(text("INSERT INTO siting_rule_sets (name, description, created_by) "
                               "VALUES (:name, :description, :by) RETURNING id"),
                          {"name": name.strip(), "description": description, "by": actor.name}).scalar_one()
    _insert_version(conn, new_id, 1, parsed, note, actor)
    return get_rule_set(conn, new_id)
