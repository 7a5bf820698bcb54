"""Reads and validates the org-chart YAML (DESIGN.md §4) into plain dataclasses, naming the line of any error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from storage.models import Role


class OrgFileError(ValueError):
    """The org chart file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class CadreSpec:
    name: str
    role: Role
    openid: str | None
    phone: str | None
    line: int


@dataclass(frozen=True)
class CourtyardSpec:
    name: str
    aliases: tuple[str, ...]
    households: int | None
    lat: float | None
    lon: float | None
    cadres: tuple[CadreSpec, ...]
    line: int


@dataclass(frozen=True)
class CommunitySpec:
    name: str
    cadres: tuple[CadreSpec, ...]
    courtyards: tuple[CourtyardSpec, ...]
    line: int


@dataclass(frozen=True)
class OrgChart:
    town: str
    communities: tuple[CommunitySpec, ...]
    town_cadres: tuple[CadreSpec, ...]
    policy: Mapping[str, Any] = field(default_factory=dict)

    def courtyards(self) -> list[CourtyardSpec]:
        return [c for community in self.communities for c in community.courtyards]


class _Node(dict[str, Any]):
    """A YAML mapping that remembers the line it starts on."""

    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings carry their line number."""


def _construct_node(loader: _LineLoader, node: yaml.MappingNode) -> _Node:
    mapping = _Node({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_node)


def load_org_chart(path: Path) -> OrgChart:
    """Parse and check path; raises OrgFileError naming the line of the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise OrgFileError(f"{path}: 文件不存在") from exc
    except PermissionError as exc:
        raise OrgFileError(f"{path}: 没有读取这个文件的权限") from exc
    except UnicodeDecodeError as exc:
        raise OrgFileError(f"{path}: 不是 UTF-8 编码的文本，请用 UTF-8 保存") from exc
    except OSError as exc:
        raise OrgFileError(f"{path}: 无法读取：{exc.strerror or exc}") from exc
    return parse_org_chart(text, source=str(path))


def parse_org_chart(text: str, *, source: str = "<org chart>") -> OrgChart:
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise OrgFileError(f"{where}: 不是有效的 YAML，请检查这一行及上一行的缩进、冒号和括号") from exc
    return _Reader(source).chart(document)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.courtyard_lines: dict[str, int] = {}
        self.cadre_lines: dict[str, int] = {}
        self.openid_lines: dict[str, int] = {}

    def fail(self, line: int, message: str) -> OrgFileError:
        return OrgFileError(f"{self.source}:{line}: {message}")

    def chart(self, document: Any) -> OrgChart:
        if not isinstance(document, _Node):
            raise self.fail(1, "组织架构应包含 `town:`（镇名）和 `communities:`（社区列表）")
        town = self.text(document, "town", document.line)
        communities = tuple(
            self.community(item, document.line) for item in self.items(document, "communities", document.line)
        )
        if not communities:
            raise self.fail(document.line, "`communities:` 下没有列出任何社区")
        town_cadres = tuple(
            self.cadre(item, Role.TOWN, document.line)
            for item in self.items(document, "town_cadres", document.line, required=False)
        )
        policy = document.get("policy") or {}
        if not isinstance(policy, Mapping):
            raise self.fail(document.line, "`policy:` 应是若干“设置项: 值”")
        return OrgChart(town=town, communities=communities, town_cadres=town_cadres, policy=dict(policy))

    def community(self, node: Any, parent_line: int) -> CommunitySpec:
        node = self.mapping(node, "社区", parent_line)
        name = self.text(node, "name", node.line)
        cadres = tuple(
            self.cadre(c, Role.COMMUNITY, node.line) for c in self.items(node, "cadres", node.line, required=False)
        )
        courtyards = tuple(
            self.courtyard(c, node.line) for c in self.items(node, "courtyards", node.line, required=False)
        )
        return CommunitySpec(name=name, cadres=cadres, courtyards=courtyards, line=node.line)

    def courtyard(self, node: Any, parent_line: int) -> CourtyardSpec:
        node = self.mapping(node, "院落", parent_line)
        name = self.text(node, "name", node.line)
        aliases = tuple(str(a).strip() for a in (node.get("aliases") or ()) if str(a).strip())
        if not isinstance(node.get("aliases") or [], list):
            raise self.fail(node.line, f"院落 {name}：`aliases` 应是列表，例如 [桂花小区, 桂花院子]")
        for label in (name, *aliases):
            if label in self.courtyard_lines:
                raise self.fail(
                    node.line,
                    f"院落名称或别名 {label!r} 已在第 {self.courtyard_lines[label]} 行用过",
                )
            self.courtyard_lines[label] = node.line
        households = node.get("households")
        if households is not None and (not isinstance(households, int) or households < 0):
            raise self.fail(node.line, f"院落 {name}：`households`（户数）应是不小于 0 的整数")
        lat, lon = self.location(node, name)
        cadres = tuple(
            self.cadre(c, Role.COURTYARD, node.line) for c in self.items(node, "cadres", node.line, required=False)
        )
        return CourtyardSpec(
            name=name, aliases=aliases, households=households, lat=lat, lon=lon, cadres=cadres, line=node.line
        )

    def location(self, node: _Node, name: str) -> tuple[float | None, float | None]:
        location = node.get("location")
        if location is None:
            return None, None
        if not isinstance(location, Mapping):
            raise self.fail(node.line, f"院落 {name}：`location` 应写成 {{lat: …, lon: …}}")
        try:
            lat, lon = float(location["lat"]), float(location["lon"])
        except (KeyError, TypeError, ValueError) as exc:
            raise self.fail(node.line, f"院落 {name}：`location` 的 lat 和 lon 应是数字") from exc
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise self.fail(node.line, f"院落 {name}：坐标 {lat}, {lon} 不在地球上（纬度 -90…90，经度 -180…180）")
        return lat, lon

    def cadre(self, node: Any, placed_as: Role, parent_line: int) -> CadreSpec:
        node = self.mapping(node, "干部", parent_line)
        name = self.text(node, "name", node.line)
        role_text = str(node.get("role") or placed_as.value)
        try:
            role = Role(role_text)
        except ValueError:
            raise self.fail(
                node.line, f"干部 {name}：不认识的角色 {role_text!r}（应是 courtyard、community 或 town）"
            ) from None
        if role != placed_as:
            raise self.fail(node.line, f"干部 {name}：角色是 {role.value}，却列在 {placed_as.value} 一级")
        if name in self.cadre_lines:
            raise self.fail(node.line, f"干部 {name} 已在第 {self.cadre_lines[name]} 行列出")
        self.cadre_lines[name] = node.line
        openid = self.optional_text(node, "openid")
        if openid is not None:
            if openid in self.openid_lines:
                raise self.fail(node.line, f"openid {openid} 已在第 {self.openid_lines[openid]} 行用过")
            self.openid_lines[openid] = node.line
        return CadreSpec(name=name, role=role, openid=openid, phone=self.optional_text(node, "phone"), line=node.line)

    def mapping(self, node: Any, what: str, parent_line: int) -> _Node:
        if not isinstance(node, _Node):
            raise self.fail(parent_line, f"每个{what}都应写成带 `name:` 的一项，实际是 {node!r}")
        return node

    def items(self, node: _Node, key: str, line: int, *, required: bool = True) -> list[Any]:
        value = node.get(key)
        if value is None:
            if required:
                raise self.fail(line, f"缺少 `{key}:`")
            return []
        if not isinstance(value, list):
            raise self.fail(line, f"`{key}:` 应是列表")
        return value

    def text(self, node: _Node, key: str, line: int) -> str:
        value = self.optional_text(node, key)
        if value is None:
            raise self.fail(line, f"缺少 `{key}:`")
        return value

    @staticmethod
    def optional_text(node: _Node, key: str) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        text = str(value).strip()
        return text or None
