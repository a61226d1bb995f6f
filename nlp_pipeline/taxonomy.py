"""The label set of docs/LABELS.md: ids, Chinese names, the guide in short, and parsing."""

from __future__ import annotations

from nlp_pipeline.errors import LabelError

TOPICS: dict[str, str] = {
    "team_building": "队伍建设",
    "serving_economy": "服务经济",
    "law_enforcement": "执法办案",
    "public_order": "治安管理",
    "traffic": "交通管理",
    "outside_remit": "不属公安职责范围",
}

STANCES: dict[str, str] = {
    "praise": "表扬",
    "criticism": "批评",
    "suggestion": "建议",
    # Questions from hotlines and message boards (the 12345 standard's 咨询): the writer
    # wants to know something, not to complain or to propose (docs/LABELS.md).
    "inquiry": "咨询",
}

HEADS: dict[str, dict[str, str]] = {"topic": TOPICS, "stance": STANCES}

# The label guide in short, in Chinese: what the 标注说明 sheet of `opinions suggest` prints
# for the people who label. docs/LABELS.md is the full guide (not installed with the
# package); tests/test_docs.py keeps the two in step (same labels, same deciding rules).
TOPIC_GUIDE: dict[str, str] = {
    "team_building": "民警、辅警、联防队员本身：态度、作风、纪律、廉洁、形象、素质、编制、福利，表扬某位民警",
    "serving_economy": "为企业和地方经济服务：保护企业和投资者、经济环境、企业安全防范、改制稳定、敲诈/阻挠企业、企业证照服务",
    "law_enforcement": "办案和执法是否公正：立案、破案、侦查快慢和质量、取证、拘留、人情案、（非交通）乱罚款、案件进展反馈",
    "public_order": "治安和秩序：盗窃、赌博、打架、诈骗、毒品、网吧娱乐场所、校园周边、巡逻见警率、110 出警、户口身份证、烟花爆竹、犬只",
    "traffic": "道路交通：交通秩序和拥堵、违章、酒驾、三轮车摩的、停车、红绿灯标志、事故处理、驾驶证和车管所、交警路面执勤",
    "outside_remit": "公安管不了的事：修路、路灯、垃圾、水电、上学、养老金、住房拆迁补偿、城管摊贩、医疗、物价、土地纠纷",
}
STANCE_GUIDE: dict[str, str] = {
    "praise": "主要是肯定、感谢、称赞（感谢、满意、及时、负责、锦旗）",
    "criticism": "主要是投诉、反映问题、不满意（太差、乱、慢、没人管）",
    "suggestion": "提出具体的做法或改进（建议、希望能、应该、增设、加强）",
    "inquiry": "想了解情况或怎么办事，没有投诉或提议（请问、咨询、需要什么材料、怎么办理）",
}
GUIDE_RULES: tuple[str, ...] = (
    "主题按下面顺序判断，第一条适用的就决定主题：",
    "1. 谁来办？没有任何公安部门能办的，就是「不属公安职责范围」，不管措辞多激烈。",
    "2. 说的是民警怎么做人做事（态度好坏、廉洁与否），是「队伍建设」，即使发生在办案或查车时；除非说的是案件或交通这件事本身。",
    "3. 交警路面执勤、交通秩序、车辆和驾照：「交通管理」，不是「治安管理」。",
    "4. 案件结果、侦查快慢、处理是否公正：「执法办案」；一个地方的治安形势（盗窃多了）：「治安管理」。",
    "5. 为企业或经济说话的：「服务经济」。",
    "立场：提出了具体做法（增设警务室、加强夜间巡逻、延长办证时间）就是「建议」，即使前面先抱怨；"
    "抱怨后只说一句「希望尽快解决」仍是「批评」；以感谢为主、顺带一个小希望仍是「表扬」。",
    "客套不是表扬：开头「感谢您百忙之中阅读」、接着投诉的信是「批评」。"
    "问句看来意：想知道（户口能不能迁回原籍？换证要带什么？）是「咨询」；想让公安改变做法"
    "（能不能晚上也开窗口？）是「建议」；其实是在抱怨（为什么举报了一直没人查？）是「批评」。",
    "无实质意见（无、没有、暂无、同上、/、—）不标主题和立场，工具会自动识别。",
)
# Chinese spellings staff actually type in a spreadsheet, beyond the canonical names.
_ALIASES: dict[str, dict[str, str]] = {
    "topic": {
        "效劳经济": "serving_economy",
        "不属公安职责": "outside_remit",
        "不属于公安职责范围": "outside_remit",
        "非公安职责": "outside_remit",
    },
    "stance": {
        "表扬性意见": "praise",
        "批评性意见": "criticism",
        "建议性意见": "suggestion",
        "表扬性": "praise",
        "批评性": "criticism",
        "建议性": "suggestion",
        "咨询类": "inquiry",
        "咨询性意见": "inquiry",
        "询问": "inquiry",
    },
}


def zh_name(head: str, label: str) -> str:
    """Chinese name of a label id, e.g. ``zh_name("topic", "traffic") == "交通管理"``."""
    return HEADS[head][label]


def parse_label(head: str, value: object) -> str:
    """Return the label id for an id or a Chinese name; raise LabelError otherwise."""
    if head not in HEADS:
        raise LabelError(f"未知的标注字段 {head!r}（应为 topic 或 stance）")
    text = str(value).strip() if value is not None else ""
    names = HEADS[head]
    if text in names:
        return text
    if text.lower() in names:
        return text.lower()
    for label_id, zh in names.items():
        if text == zh:
            return label_id
    alias = _ALIASES[head].get(text)
    if alias:
        return alias
    allowed = "、".join(f"{k}（{v}）" for k, v in names.items())
    raise LabelError(f"未知的 {head} {text!r}；可用的值: {allowed}")


def describe(head: str, label: str) -> str:
    """``治安管理 (public_order)`` — how labels are shown to people."""
    return f"{HEADS[head][label]} ({label})"
