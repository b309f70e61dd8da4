"""Entities: a unit (one event row of the register, or the enterprise's yearly
profile) is OpenFisca's person; the enterprise, the enterprise-year (for the
yearly caps) and the once-per key (同一型号/同系列只奖励一次) are group entities
whose membership the input adapter builds from the register, as households
are built from survey data."""

from openfisca_core.entities import build_entity

_MEMBER = [{"key": "member", "plural": "members", "label": "member"}]

Unit = build_entity(
    key="unit",
    plural="units",
    label="An event row of the register (事项) or an enterprise's yearly profile (企业年度画像)",
    is_person=True,
)
Enterprise = build_entity(key="enterprise", plural="enterprises", label="企业 (by 统一社会信用代码)", roles=_MEMBER)
EnterpriseYear = build_entity(
    key="enterprise_year", plural="enterprise_years", label="企业 × 年度: the scope of 单个企业每年最高 caps", roles=_MEMBER
)
OnceKey = build_entity(
    key="once_key",
    plural="once_keys",
    label="企业 × once-per group × key values (同系列类似产品不重复支持 …); a singleton for other units",
    roles=_MEMBER,
)

entities = [Unit, Enterprise, EnterpriseYear, OnceKey]
