"""Regions (行政区划) by GB/T 2260 code, and how they nest.

An enterprise registered in 吴中区 (320506) is also in 苏州市 (320500) and
江苏省 (320000), so documents of all three bind it; 武进区 (320412) is in
常州市 (320400), not in 苏州.  Towns and 板块 (木渎镇, 吴中经开区, 太湖新城 …)
are kept by name under their district: 吴中 art. 22 makes them co-payers.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REGIONS", "TOWNS", "Region", "RegionError", "contains", "parents", "region"]


class RegionError(ValueError):
    """An unknown region code."""


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: str  # province / city / district

    @property
    def finance(self) -> str:
        """The treasury that pays at this level, e.g. ``吴中区财政``."""
        return f"{self.name}财政"


REGIONS: dict[str, Region] = {
    r.code: r
    for r in (
        Region("320000", "江苏省", "province"),
        Region("320500", "苏州市", "city"),
        Region("320505", "虎丘区", "district"),
        Region("320506", "吴中区", "district"),
        Region("320507", "相城区", "district"),
        Region("320508", "姑苏区", "district"),
        Region("320509", "吴江区", "district"),
        Region("320571", "苏州工业园区", "district"),
        Region("320581", "常熟市", "district"),
        Region("320582", "张家港市", "district"),
        Region("320583", "昆山市", "district"),
        Region("320585", "太仓市", "district"),
        Region("320400", "常州市", "city"),
        Region("320402", "天宁区", "district"),
        Region("320404", "钟楼区", "district"),
        Region("320411", "新北区", "district"),
        Region("320412", "武进区", "district"),
        Region("320413", "金坛区", "district"),
        Region("320481", "溧阳市", "district"),
    )
}

# 镇、街道与板块 (towns, streets and development zones) by district code.
TOWNS: dict[str, tuple[str, ...]] = {
    "320506": (
        "木渎镇",
        "甪直镇",
        "胥口镇",
        "临湖镇",
        "东山镇",
        "金庭镇",
        "光福镇",
        "香山街道",
        "长桥街道",
        "越溪街道",
        "郭巷街道",
        "横泾街道",
        "城南街道",
        "吴中经开区",
        "吴中高新区",
        "太湖新城",
        "太湖街道",
        "苏苑街道",
        "龙西街道",
    ),
    "320412": (
        "湖塘镇",
        "牛塘镇",
        "洛阳镇",
        "遥观镇",
        "横林镇",
        "横山桥镇",
        "雪堰镇",
        "前黄镇",
        "礼嘉镇",
        "嘉泽镇",
        "湟里镇",
        "南夏墅街道",
        "西湖街道",
        "武进国家高新区",
        "常州经开区",
        "西太湖科技产业园",
    ),
}


def region(code: str) -> Region:
    """The region with this code; :class:`RegionError` if unknown."""
    try:
        return REGIONS[code]
    except KeyError:
        raise RegionError(f"未知的行政区划代码：{code}") from None


def parents(code: str) -> list[Region]:
    """The region and every region containing it, innermost first."""
    found = [region(code)]
    if code[4:] != "00":
        found.append(region(code[:4] + "00"))
    if code[2:] != "0000":
        found.append(region(code[:2] + "0000"))
    return found


def contains(outer: str, inner: str) -> bool:
    """Whether region ``inner`` lies within (or is) region ``outer``.

    >>> contains("320500", "320506"), contains("320500", "320412")
    (True, False)
    """
    if outer.endswith("0000"):
        return inner[:2] == outer[:2]
    if outer.endswith("00"):
        return inner[:4] == outer[:4]
    return inner == outer
