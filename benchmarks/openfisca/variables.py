"""Variables of the 吴中2025 subset, as OpenFisca users write them.

Money is OpenFisca's default ``float`` (numpy float32) in 元; a missing amount
in the register is NaN (OpenFisca has no "absent" value, and NaN makes every
threshold test false, as huiqi's "未填写" does).  Yes/no facts that may be blank
are integers: 1 yes, 0 no, -1 blank.

Per benefit item there is one ``candidate__…`` variable: the item's amount
after its own item caps (stage caps by phase …), rounded down to the fen, or
NaN when the item does not apply.  Then, in huiqi's order:

1. ``benefit_won``: once-per-key (同系列类似产品不重复支持, 同一项目同一级别只奖励一次)
   through the ``once_key`` group entity and ``get_rank`` by date, then
   就高不重复 per event (第二十一条: keep the item with the highest potential
   amount, the earlier item of the document on a tie);
2. ``award``: the yearly caps (单个企业每年最高 …, the 500万 device group cap,
   the 3000万 trial cap) inside each ``enterprise_year``: exact amounts first, then
   the rest of the ceilings, each in date order, as prefix sums over ``get_rank``
   positions (huiqi's reading of how a cap's room is shared);
3. ``district_share`` / ``town_share``: the 4:6 split, district rounded down.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from .entities import Enterprise, Unit

YEAR = DateUnit.YEAR
_EPOCH = date(1970, 1, 1).toordinal()
VALID_FROM = date(2025, 5, 1).toordinal() - _EPOCH  # 本措施自2025年5月1日起施行
VALID_TO = date(2027, 12, 31).toordinal() - _EPOCH  # 有效期至2027年12月31日
WUZHONG = 320506


# --- enumerations (only the values the rules read; everything else is OTHER) ------------


class UnitKind(Enum):
    PROFILE = "企业年度画像"
    PURCHASE = "purchase"
    RECOGNITION = "recognition"
    CLINICAL_TRIAL = "clinical_trial"
    GENERIC_CONSISTENCY = "generic_consistency"
    DEVICE_REGISTRATION = "device_registration"
    PROJECT = "project"
    INSURANCE = "insurance"
    OTHER = "其他事项"


class Category(Enum):
    MISSING = "（未填写）"
    OTHER = "其他"
    ROBOT = "机器人产品或服务"
    HUMANOID = "人形机器人产品或服务"
    PARTS = "零部件产品"
    TECH_RENOVATION = "企业技术改造"
    SMART_RENOVATION = "智能化改造"
    DIGITAL_RENOVATION = "数字化网络化改造"
    ENERGY_RENOVATION = "节能技改"
    SRDI_EQUIPMENT = "专精特新企业设备投入"
    GREEN_EQUIPMENT = "节能环保装备（产品）产业化"
    CIRCULAR = "工业循环经济"
    IDENTIFIER_NODE = "工业互联网标识解析二级节点建设"


class Title(Enum):
    MISSING = "（未填写）"
    OTHER = "其他"
    LARGE_MODEL = "大模型（经公开认定）"
    INNOVATIVE_DEVICE = "国家创新医疗器械特别审查程序"
    CATALOGUE_PRODUCT = "苏州市生物医药及健康产业创新名优产品推广应用目录"
    SINGLE_CHAMPION = "制造业单项冠军企业"
    LITTLE_GIANT = "专精特新“小巨人”企业"
    SRDI_SME = "专精特新中小企业"
    GREEN_FACTORY = "绿色工厂"
    GREEN_SUPPLY_CHAIN = "绿色供应链管理示范企业"
    GREEN_DESIGN = "绿色设计示范企业"
    CMMM = "智能制造能力成熟度评估（CMMM）"
    SOLUTION_JBGS = "智能制造解决方案“揭榜挂帅”项目"
    SERVICE_LEADER = "智能制造领军服务机构"
    IIOT_DEMO = "工业互联网、5G、实数融合等领域试点示范或场景案例"


class Level(Enum):
    MISSING = "（未填写）"
    OTHER = "其他"
    NATIONAL = "国家级"
    PROVINCIAL = "省级"
    CITY = "市级"


class Grade(Enum):
    MISSING = "（未填写）"
    OTHER = "其他"
    G3A = "3A级"
    G2 = "二级"
    G3 = "三级"
    G4 = "四级"
    G5 = "五级"


class DrugType(Enum):
    MISSING = "（未填写）"
    OTHER = "其他"
    INNOVATIVE = "创新药"
    IMPROVED = "改良型新药"


class Phase(Enum):
    MISSING = "（未填写）"
    OTHER = "其他"
    I = "Ⅰ期"  # noqa: E741 — the stage is called Ⅰ期
    II = "Ⅱ期"
    III = "Ⅲ期"


class DeviceClass(Enum):
    MISSING = "（未填写）"
    OTHER = "其他"
    CLASS2 = "第二类"
    CLASS3 = "第三类"


class InsuranceType(Enum):
    MISSING = "（未填写）"
    OTHER = "其他"
    CYBER = "企业网络安全保险"


class ApplicantKind(Enum):
    OTHER = "其他"
    ENTERPRISE = "企业"
    SOCIAL_ORGANISATION = "社会组织"
    UNIVERSITY = "高校院所"
    RESEARCH_INSTITUTE = "科研院所"


ENUMS = {
    "kind": UnitKind,
    "category": Category,
    "title": Title,
    "level": Level,
    "grade": Grade,
    "drug_type": DrugType,
    "phase": Phase,
    "device_class": DeviceClass,
    "insurance_type": InsuranceType,
}

# --- input variables ------------------------------------------------------------------------

MONEY_INPUTS = (
    "amount",
    "rd_investment",
    "rd_expense",
    "total_investment",
    "equipment_investment",
    "smart_investment",
    "annual_investment",
    "tech_equipment_investment",
    "premium",
)
NUMBER_INPUTS = ("energy_saved_tce",)
INT_INPUTS = ("rank",)
TRISTATE_INPUTS = ("related_party", "in_china", "first_registration", "has_invention_patent")
BOOL_INPUTS = ("holds_srdi", "first_time")
DAY_INPUTS = ("date_days", "event_id_rank")


def _variable(name: str, **attrs: object) -> type[Variable]:
    attrs.setdefault("definition_period", YEAR)
    return type(name, (Variable,), attrs)


def input_variables() -> list[type[Variable]]:
    out: list[type[Variable]] = []
    for name, enum in ENUMS.items():
        default = enum.OTHER if name == "kind" else enum.MISSING
        out.append(_variable(name, value_type=Enum, possible_values=enum, default_value=default, entity=Unit, label=name))
    for name in MONEY_INPUTS:
        out.append(_variable(name, value_type=float, entity=Unit, label=f"{name} (元, NaN when blank)", unit="currency-CNY"))
    for name in NUMBER_INPUTS:
        out.append(_variable(name, value_type=float, entity=Unit, label=f"{name} (NaN when blank)"))
    for name in INT_INPUTS:
        out.append(_variable(name, value_type=int, default_value=-1, entity=Unit, label=name))
    for name in TRISTATE_INPUTS:
        out.append(_variable(name, value_type=int, default_value=-1, entity=Unit, label=f"{name}: 1 是, 0 否, -1 blank"))
    out.append(
        _variable(
            "holds_srdi",
            value_type=bool,
            entity=Unit,
            label="持有专精特新“小巨人”/专精特新中小企业资质 on the event date (adapter)",
        )
    )
    out.append(_variable("first_time", value_type=bool, entity=Unit, label="新获评: no earlier same title/level (adapter)"))
    out.append(
        _variable(
            "date_days",
            value_type=int,
            entity=Unit,
            label="the event's date (the profile: the reference date), days since 1970-01-01",
        )
    )
    out.append(
        _variable(
            "event_id_rank", value_type=int, entity=Unit, label="rank of the 事项编号 in string order (date-order tie-break)"
        )
    )
    out.append(_variable("region_code", value_type=int, entity=Enterprise, label="注册地行政区划代码"))
    out.append(
        _variable(
            "applicant_kind",
            value_type=Enum,
            possible_values=ApplicantKind,
            default_value=ApplicantKind.ENTERPRISE,
            entity=Enterprise,
            label="主体类型",
        )
    )
    out.append(_variable("sector_humanoid_maker", value_type=bool, entity=Enterprise, label="所属产业领域含人形机器人整机制造"))
    out.append(_variable("sector_humanoid", value_type=bool, entity=Enterprise, label="所属产业领域含人形机器人"))
    return out


# --- helpers --------------------------------------------------------------------------------


def floor_fen(x: np.ndarray) -> np.ndarray:
    """Round down to the fen, as OpenFisca users do it (in the array's own float type)."""
    return np.floor(x * 100) / 100


def known(x: np.ndarray) -> np.ndarray:
    return ~np.isnan(x)


def only(cond: np.ndarray, amount: np.ndarray | float) -> np.ndarray:
    return np.where(cond, amount, np.nan)


class in_force(Variable):
    value_type = bool
    entity = Unit
    definition_period = YEAR
    label = "吴中2025 binds the unit: registered in 吴中区, an applicant kind it names, the date within 2025-05-01 … 2027-12-31"

    def formula(unit, period, parameters):
        day = unit("date_days", period)
        region = unit.enterprise("region_code", period)
        kind = unit.enterprise("applicant_kind", period)
        return (region == WUZHONG) & (kind != ApplicantKind.OTHER) & (day >= VALID_FROM) & (day <= VALID_TO)


# --- the benefit items: (huiqi id, order in the document, exact?, own yearly cap path, cap group) --


def _p(parameters, period):
    return parameters(f"{period.start.year}-12-31").wuzhong


def _kind(unit, period, kind):
    return (unit("kind", period) == kind) & unit("in_force", period)


def robot_purchase(unit, period, p):
    amt = unit("amount", period)
    ok = (
        _kind(unit, period, UnitKind.PURCHASE)
        & (unit("category", period) == Category.ROBOT)
        & (amt > p.art1.robot_purchase.threshold)
    )
    return only(ok, floor_fen(amt * p.art1.robot_purchase.rate))


def large_model(unit, period, p):
    ok = _kind(unit, period, UnitKind.RECOGNITION) & (unit("title", period) == Title.LARGE_MODEL)
    return only(ok, p.art1.large_model.max)


def humanoid_maker(unit, period, p):
    ok = _kind(unit, period, UnitKind.PROFILE) & unit.enterprise("sector_humanoid_maker", period)
    return only(ok, p.art1.humanoid_maker.max)


def humanoid_purchase(unit, period, p):
    amt = unit("amount", period)
    ok = _kind(unit, period, UnitKind.PURCHASE) & (unit("category", period) == Category.HUMANOID) & known(amt)
    return only(ok, floor_fen(amt * p.art1.humanoid_purchase.rate))


def humanoid_parts(unit, period, p):
    amt = unit("amount", period)
    sector = unit.enterprise("sector_humanoid", period) | unit.enterprise("sector_humanoid_maker", period)
    ok = (
        _kind(unit, period, UnitKind.PURCHASE)
        & (unit("category", period) == Category.PARTS)
        & sector
        & (unit("related_party", period) == 0)
        & known(amt)
    )
    return only(ok, floor_fen(amt * p.art1.humanoid_parts.rate))


def _phase_cap(unit, period, caps):
    phase = unit("phase", period)
    return np.select([phase == Phase.I, phase == Phase.II, phase == Phase.III], [caps.I, caps.II, caps.III], np.inf)


def innovative_drug(unit, period, p):
    rd = unit("rd_investment", period)
    ok = (
        _kind(unit, period, UnitKind.CLINICAL_TRIAL)
        & (unit("drug_type", period) == DrugType.INNOVATIVE)
        & (unit("in_china", period) == 1)
        & known(rd)
    )
    q = p.art3.innovative_drug
    return only(ok, np.minimum(floor_fen(rd * q.rate), _phase_cap(unit, period, q.phase_cap)))


def improved_drug(unit, period, p):
    rd = unit("rd_investment", period)
    ok = (
        _kind(unit, period, UnitKind.CLINICAL_TRIAL)
        & (unit("drug_type", period) == DrugType.IMPROVED)
        & (unit("in_china", period) == 1)
        & known(rd)
    )
    q = p.art3.improved_drug
    return only(ok, np.minimum(floor_fen(rd * q.rate), _phase_cap(unit, period, q.phase_cap)))


def generic_consistency(unit, period, p):
    rd = unit("rd_expense", period)
    q = p.art3.generic_consistency
    rank = unit("rank", period)
    ok = _kind(unit, period, UnitKind.GENERIC_CONSISTENCY) & (rank >= 0) & (rank <= q.max_rank) & (rd >= q.threshold)
    return only(ok, floor_fen(rd * q.rate))


def _device(unit, period, cls):
    return (
        _kind(unit, period, UnitKind.DEVICE_REGISTRATION)
        & (unit("device_class", period) == cls)
        & (unit("first_registration", period) == 1)
        & (unit("has_invention_patent", period) == 1)
    )


def class3_device(unit, period, p):
    rd = unit("rd_expense", period)
    q = p.art3.class3_device
    ok = _device(unit, period, DeviceClass.CLASS3) & known(rd)
    return only(ok, np.minimum(floor_fen(rd * q.rate), q.cap_item))


def class2_device(unit, period, p):
    rd = unit("rd_expense", period)
    q = p.art3.class2_device
    ok = _device(unit, period, DeviceClass.CLASS2) & (rd >= q.threshold)
    return only(ok, np.minimum(floor_fen(rd * q.rate), q.cap_item))


def _title(unit, period, *titles):
    t = unit("title", period)
    hit = np.zeros(t.shape, dtype=bool)
    for title in titles:
        hit |= t == title
    return _kind(unit, period, UnitKind.RECOGNITION) & hit


def innovative_device(unit, period, p):
    return only(_title(unit, period, Title.INNOVATIVE_DEVICE), p.art3.innovative_device.max)


def catalogue_product(unit, period, p):
    return only(_title(unit, period, Title.CATALOGUE_PRODUCT), p.art3.catalogue_product.max)


def _project(unit, period, *categories):
    c = unit("category", period)
    hit = np.zeros(c.shape, dtype=bool)
    for cat in categories:
        hit |= c == cat
    return _kind(unit, period, UnitKind.PROJECT) & hit


_RENOVATION = (Category.TECH_RENOVATION, Category.SMART_RENOVATION, Category.DIGITAL_RENOVATION, Category.ENERGY_RENOVATION)


def tech_renovation(unit, period, p):
    q = p.art8.tech_renovation
    total = unit("total_investment", period)
    ok = _project(unit, period, *_RENOVATION) & (unit("equipment_investment", period) >= q.threshold) & known(total)
    return only(ok, floor_fen(total * q.rate))


def smart_renovation(unit, period, p):
    q = p.art8.smart_renovation
    total = unit("total_investment", period)
    smart = unit("smart_investment", period)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = smart / total
    ok = _project(unit, period, Category.SMART_RENOVATION) & (smart >= q.threshold) & (total != 0) & (share >= q.min_share)
    return only(ok, floor_fen(total * q.rate))


def digital_renovation(unit, period, p):
    q = p.art8.digital_renovation
    total = unit("total_investment", period)
    ok = (
        _project(unit, period, Category.DIGITAL_RENOVATION, Category.SMART_RENOVATION)
        & (unit("annual_investment", period) >= q.threshold)
        & known(total)
    )
    return only(ok, floor_fen(total * q.rate))


def srdi_equipment(unit, period, p):
    eq = unit("equipment_investment", period)
    ok = _project(unit, period, Category.SRDI_EQUIPMENT, *_RENOVATION) & unit("holds_srdi", period) & known(eq)
    return only(ok, floor_fen(eq * p.art9.srdi_equipment.rate))


def _new(unit, period, title, level, amount):
    ok = _title(unit, period, title) & (unit("level", period) == level) & unit("first_time", period)
    return only(ok, amount)


def single_champion(unit, period, p):
    return _new(unit, period, Title.SINGLE_CHAMPION, Level.NATIONAL, p.art9.single_champion.max)


def little_giant(unit, period, p):
    return _new(unit, period, Title.LITTLE_GIANT, Level.NATIONAL, p.art9.little_giant.max)


def srdi_sme(unit, period, p):
    return _new(unit, period, Title.SRDI_SME, Level.PROVINCIAL, p.art9.srdi_sme.max)


def energy_saving(unit, period, p):
    q = p.art10.energy_saving
    total = unit("total_investment", period)
    tce = unit("energy_saved_tce", period)
    ok = (
        _project(unit, period, Category.ENERGY_RENOVATION)
        & (tce >= q.min_tce)
        & (unit("tech_equipment_investment", period) >= q.threshold)
        & known(total)
    )
    return only(ok, floor_fen(total * q.rate) + floor_fen(tce * q.per_tce))


def green_industry(unit, period, p):
    q = p.art10.green_industry
    total = unit("total_investment", period)
    ok = (
        _project(unit, period, Category.GREEN_EQUIPMENT, Category.CIRCULAR)
        & (unit("tech_equipment_investment", period) >= q.threshold)
        & known(total)
    )
    return only(ok, floor_fen(total * q.rate))


def national_green(unit, period, p):
    ok = (
        _title(unit, period, Title.GREEN_FACTORY, Title.GREEN_SUPPLY_CHAIN, Title.GREEN_DESIGN)
        & (unit("level", period) == Level.NATIONAL)
        & unit("first_time", period)
    )
    return only(ok, p.art10.national_green.max)


def provincial_green_factory(unit, period, p):
    return _new(unit, period, Title.GREEN_FACTORY, Level.PROVINCIAL, p.art10.provincial_green_factory.max)


def suzhou_3a_green_factory(unit, period, p):
    ok = (
        _title(unit, period, Title.GREEN_FACTORY)
        & (unit("level", period) == Level.CITY)
        & (unit("grade", period) == Grade.G3A)
        & unit("first_time", period)
    )
    return only(ok, p.art10.suzhou_3a_green_factory.max)


def cmmm(unit, period, p):
    g = unit("grade", period)
    q = p.art12.cmmm.by_grade
    amount = np.select([g == Grade.G2, g == Grade.G3, g == Grade.G4, g == Grade.G5], [q.G2, q.G3, q.G4, q.G5], np.nan)
    return only(_title(unit, period, Title.CMMM), amount)


def solution_jbgs(unit, period, p):
    ok = _title(unit, period, Title.SOLUTION_JBGS) & (unit("level", period) == Level.NATIONAL)
    return only(ok, p.art12.solution_jbgs.max)


def service_leader(unit, period, p):
    return _new(unit, period, Title.SERVICE_LEADER, Level.PROVINCIAL, p.art12.service_leader.max)


def identifier_node(unit, period, p):
    return only(_project(unit, period, Category.IDENTIFIER_NODE), p.art14.identifier_node.max)


def iiot_demo(unit, period, p):
    lv = unit("level", period)
    q = p.art14.iiot_demo.by_level
    amount = np.select(
        [lv == Level.NATIONAL, lv == Level.PROVINCIAL, lv == Level.CITY], [q.NATIONAL, q.PROVINCIAL, q.CITY], np.nan
    )
    return only(_title(unit, period, Title.IIOT_DEMO), amount)


def cyber_insurance(unit, period, p):
    q = p.art14.cyber_insurance
    premium = unit("premium", period)
    ok = _kind(unit, period, UnitKind.INSURANCE) & (unit("insurance_type", period) == InsuranceType.CYBER) & known(premium)
    return only(ok, np.minimum(floor_fen(premium * q.rate), q.cap_item))


# (function, huiqi benefit id, document order, exact amount?, own yearly cap parameter, yearly cap group, once-per group)
BENEFITS = (
    (large_model, "wz-1-large-model", 4001, False, None, None, None),
    (robot_purchase, "wz-1-robot-purchase", 4002, False, "art1.robot_purchase.cap_year", "robot", None),
    (humanoid_maker, "wz-1-humanoid-maker", 4003, False, "art1.humanoid_maker.cap_year", "humanoid_maker", None),
    (humanoid_purchase, "wz-1-humanoid-purchase", 4004, False, "art1.humanoid_purchase.cap_year", "humanoid_purchase", None),
    (humanoid_parts, "wz-1-humanoid-parts", 4005, False, "art1.humanoid_parts.cap_year", "humanoid_parts", None),
    (innovative_drug, "wz-3-innovative-drug", 4010, True, None, "trials", None),
    (improved_drug, "wz-3-improved-drug", 4011, True, "art3.trials_cap_year", "trials", None),
    (generic_consistency, "wz-3-generic-consistency", 4012, True, "art3.generic_consistency.cap_year", "generic", None),
    (class3_device, "wz-3-class3-device", 4013, True, None, "devices", "device_series"),
    (class2_device, "wz-3-class2-device", 4014, True, None, "devices", "device_series"),
    (innovative_device, "wz-3-innovative-device", 4015, False, None, "devices", "device_series"),
    (catalogue_product, "wz-3-catalogue-product", 4016, False, "art3.catalogue_product.cap_year", "catalogue", "catalogue"),
    (tech_renovation, "wz-8-tech-renovation", 4029, False, "art8.tech_renovation.cap_year", "tech", None),
    (smart_renovation, "wz-8-smart-renovation", 4030, False, "art8.smart_renovation.cap_year", "smart", None),
    (digital_renovation, "wz-8-digital-renovation", 4031, False, "art8.digital_renovation.cap_year", "digital", None),
    (srdi_equipment, "wz-9-srdi-equipment", 4032, False, "art9.srdi_equipment.cap_year", "srdi", None),
    (single_champion, "wz-9-single-champion", 4033, False, None, None, None),
    (little_giant, "wz-9-little-giant", 4034, False, None, None, None),
    (srdi_sme, "wz-9-srdi-sme", 4035, False, None, None, None),
    (energy_saving, "wz-10-energy-saving", 4036, False, "art10.energy_saving.cap_year", "energy", None),
    (green_industry, "wz-10-green-industry", 4037, False, "art10.green_industry.cap_year", "green", None),
    (national_green, "wz-10-national-green", 4038, False, None, None, None),
    (provincial_green_factory, "wz-10-provincial-green-factory", 4039, False, None, None, None),
    (suzhou_3a_green_factory, "wz-10-suzhou-3a-green-factory", 4040, False, None, None, None),
    (cmmm, "wz-12-cmmm", 4042, False, None, None, None),
    (solution_jbgs, "wz-12-solution-jbgs", 4043, False, None, None, None),
    (service_leader, "wz-12-service-leader", 4044, False, None, None, None),
    (identifier_node, "wz-14-identifier-node", 4049, False, None, None, None),
    (iiot_demo, "wz-14-iiot-demo", 4050, False, None, None, "iiot"),
    (cyber_insurance, "wz-14-cyber-insurance", 4051, False, None, None, None),
)
BENEFIT_IDS = tuple(b[1] for b in BENEFITS)
ORDER = np.array([b[2] for b in BENEFITS], dtype=np.int64)

# The yearly caps: group → parameter path (the group caps of art. 3 are shared by several items).
YEAR_CAPS = {
    "robot": "art1.robot_purchase.cap_year",
    "humanoid_maker": "art1.humanoid_maker.cap_year",
    "humanoid_purchase": "art1.humanoid_purchase.cap_year",
    "humanoid_parts": "art1.humanoid_parts.cap_year",
    "trials": "art3.trials_cap_year",
    "generic": "art3.generic_consistency.cap_year",
    "devices": "art3.devices_cap_year",
    "catalogue": "art3.catalogue_product.cap_year",
    "tech": "art8.tech_renovation.cap_year",
    "smart": "art8.smart_renovation.cap_year",
    "digital": "art8.digital_renovation.cap_year",
    "srdi": "art9.srdi_equipment.cap_year",
    "energy": "art10.energy_saving.cap_year",
    "green": "art10.green_industry.cap_year",
}
CAP_GROUPS = tuple(YEAR_CAPS)
EXACT = np.array([b[3] for b in BENEFITS] + [False])  # last: no award
CAP_OF = np.array([CAP_GROUPS.index(b[5]) if b[5] else -1 for b in BENEFITS] + [-1], dtype=np.int64)  # last: no award
ONCE = np.array([b[6] is not None for b in BENEFITS])


def _param(p, path: str) -> float:
    node = p
    for part in path.split("."):
        node = getattr(node, part)
    return float(node)


def candidate_variables() -> list[type[Variable]]:
    out = []
    for fn, bid, *_ in BENEFITS:

        def formula(unit, period, parameters, fn=fn):
            return fn(unit, period, _p(parameters, period))

        name = "candidate__" + fn.__name__
        out.append(
            _variable(
                name,
                value_type=float,
                entity=Unit,
                default_value=np.nan,
                label=f"{bid}: amount after item caps (元), NaN when the item does not apply",
                unit="currency-CNY",
                formula=formula,
            )
        )
    return out


def _order_criteria(unit, period, order: np.ndarray) -> np.ndarray:
    """huiqi's (date, benefit order, event id) order as one float64 number per unit."""
    n = max(len(order), 1)
    day = unit("date_days", period).astype(np.float64)
    return (day * 100.0 + (order - 4000)) * float(n) + unit("event_id_rank", period)


class benefit_won(Variable):
    value_type = int
    entity = Unit
    definition_period = YEAR
    default_value = -1
    label = "The benefit item kept for the unit after once-per-key and 就高不重复 (index into BENEFITS, -1: none)"

    def formula(unit, period, parameters):
        p = _p(parameters, period)
        cand = np.stack([unit("candidate__" + b[0].__name__, period) for b in BENEFITS], axis=1)
        applies = ~np.isnan(cand)
        # 4. once per key: the first candidate in date order inside its once_key group keeps it.
        once_hit = applies & ONCE
        has_once = once_hit.any(axis=1)
        order = np.where(has_once, ORDER[np.argmax(once_hit, axis=1)], 0)
        rank = unit.get_rank(unit.once_key, _order_criteria(unit, period, order), condition=has_once)
        applies &= ~((rank > 0)[:, None] & ONCE)
        # 5. 就高不重复: the highest potential (own yearly cap applied), then the higher floor, then the earlier item.
        best = np.full(len(cand), -1, dtype=np.int64)
        best_pot = np.full(len(cand), -np.inf, dtype=np.float32)
        best_low = np.full(len(cand), -np.inf, dtype=np.float32)
        for j, (_fn, _bid, _order, exact, own_cap, _cap, _once) in enumerate(BENEFITS):
            high = cand[:, j]
            pot = np.minimum(high, _param(p, own_cap)) if own_cap else high
            low = high if exact else np.zeros_like(high)
            better = applies[:, j] & ((pot > best_pot) | ((pot == best_pot) & (low > best_low)))
            best = np.where(better, j, best)
            best_pot = np.where(better, pot, best_pot)
            best_low = np.where(better, low, best_low)
        return best


class amount_before_year_caps(Variable):
    value_type = float
    entity = Unit
    definition_period = YEAR
    label = "The kept item's amount (元) before the yearly caps"
    unit = "currency-CNY"

    def formula(unit, period, parameters):
        won = unit("benefit_won", period)
        cand = np.stack([unit("candidate__" + b[0].__name__, period) for b in BENEFITS], axis=1)
        picked = cand[np.arange(len(won)), np.maximum(won, 0)]
        return np.where(won >= 0, picked, 0)


class award(Variable):
    value_type = float
    entity = Unit
    definition_period = YEAR
    label = "The maximum award (元) after the yearly caps, allocated in date order within each enterprise-year"
    unit = "currency-CNY"

    def formula(unit, period, parameters):
        p = _p(parameters, period)
        won = unit("benefit_won", period)
        high = unit("amount_before_year_caps", period)
        cap_of = CAP_OF[won]  # won == -1 picks the trailing "no cap"
        # what the item pays for certain (an exact amount) counts first, then the rest of the ceilings
        low = np.where(EXACT[won], high, 0).astype(np.float32)
        criteria = _order_criteria(unit, period, np.where(won >= 0, ORDER[np.maximum(won, 0)], 0))
        result = high.copy()
        for c, group in enumerate(CAP_GROUPS):
            inside = cap_of == c
            if not inside.any():
                continue
            limit = _param(p, YEAR_CAPS[group])
            rank = unit.get_rank(unit.enterprise_year, criteria, condition=inside)
            low_before = np.zeros(len(high), dtype=np.float32)
            rest_before = np.zeros(len(high), dtype=np.float32)
            for k in range(1, int(rank.max()) + 1):
                earlier = inside & (rank < k)
                low_before = np.where(rank == k, unit.enterprise_year.sum(np.where(earlier, low, 0)), low_before)
                rest_before = np.where(rank == k, unit.enterprise_year.sum(np.where(earlier, high - low, 0)), rest_before)
            all_low = unit.enterprise_year.sum(np.where(inside, low, 0))
            new_low = np.minimum(low, np.maximum(limit - low_before, 0))
            room = np.maximum(limit - np.minimum(limit, all_low), 0)
            rest = np.minimum(high - low, np.maximum(room - rest_before, 0))
            result = np.where(inside, new_low + rest, result)
        return result


class district_share(Variable):
    value_type = float
    entity = Unit
    definition_period = YEAR
    label = "区级 share (元): 4/10 of the award, rounded down to the fen"
    unit = "currency-CNY"

    def formula(unit, period, parameters):
        return floor_fen(unit("award", period) * _p(parameters, period).funding.district_share)


class town_share(Variable):
    value_type = float
    entity = Unit
    definition_period = YEAR
    label = "镇级 share (元): the rest"
    unit = "currency-CNY"

    def formula(unit, period, parameters):
        return unit("award", period) - unit("district_share", period)


def all_variables() -> list[type[Variable]]:
    return [
        *input_variables(),
        in_force,
        *candidate_variables(),
        benefit_won,
        amount_before_year_caps,
        award,
        district_share,
        town_share,
    ]
