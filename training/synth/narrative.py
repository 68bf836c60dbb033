"""Narrative sections 一、五、六 and the preamble, full of numbers that are not table values.

Distractors are what real reports print around the tables: statistics periods and dates, phone
numbers and postcodes, counts of web posts, trainings and proposals, and the application count
quoted in prose. Returned paragraphs are plain strings; the caller labels them NARRATIVE.
"""
from __future__ import annotations

import random

from gongkai.extraction import template as T

from gongkai.training.synth.content import ReportContent

__all__ = ["preamble", "section1", "section5", "section6"]

_SUBHEADS_1 = [("主动公开", "主动公开情况", "主动公开方面"), ("依申请公开", "依申请公开情况", "依申请公开方面"),
               ("政府信息管理", "政府信息管理情况", "政府信息管理方面"),
               ("政府信息公开平台建设", "平台建设情况", "平台建设方面"), ("监督保障", "监督保障情况", "监督保障方面")]
_OPENERS = [
    "{y}年，{who}坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻落实党的二十大精神，全面贯彻《中华人民共和国政府信息公开条例》，持续提升政务公开质效。",
    "{y}年，在{up}的坚强领导下，{who}认真落实政务公开工作要点，不断加大政府信息公开力度，保障人民群众的知情权、参与权和监督权。",
    "{y}年，{who}按照国家和上级政府关于政务公开的工作要求，认真做好政务公开各项基础工作，不断增加工作透明度，努力提升服务质量和办事效率。",
]
_ACTIVE = [
    "{y}年{who}通过政府门户网站主动公开政府信息{posts}条，通过政务新媒体发布信息{wechat}条，制作政策解读材料{readings}件。",
    "全年共发布各类信息{posts}条，其中政策文件{a}件、政务动态{b}条，“{short}发布”微信公众号推送信息{wechat}条。",
    "围绕重点领域信息公开，全年主动公开政府信息{posts}条，召开新闻发布会{meetings}场，回应社会关切{c}次。",
]
_APPLY = [
    "{y}年共受理依申请公开{apps}件，上年结转{co}件，均在法定期限内予以答复，结转下年度继续办理{cf}件。",
    "坚持以“答复及时，内容完整，格式规范”为标准，畅通依申请公开受理渠道。{y}年收到政府信息公开申请{apps}件，均按期答复。",
    "{y}年{who}未收到依申请公开政府信息，没有办理依申请公开答复。",
    "全年共办理政府信息公开申请{apps}件，较上年{trend}{d}件，按时办结率100%。",
]
_MANAGE = [
    "严格落实信息发布“三审三校”制度，开展政府信息公开自查{checks}次，整改问题{c}个，全年未发生泄密事件。",
    "对不予公开的政府信息进行定期评估审查，全年清理历史信息{a}条，更新政府信息公开指南{checks}次。",
    "依托政务公开工作平台做好公文公开属性源头认定，全年备案非涉密公文{a}件。",
]
_PLATFORM = [
    "持续优化政府网站栏目设置，全年新增专题专栏{checks}个，网站累计访问量{visits}次。",
    "完成网站IPv6改造和适老化无障碍改造，每天24小时对门户网站进行运行和内容监测，确保网站安全稳定运行。",
    "整合政务新媒体{checks}个，建立政务新媒体矩阵，综合运用电视台、广播、报刊等渠道公开各类政府信息。",
]
_SUPERVISE = [
    "将政务公开工作纳入年度绩效考核，全年组织业务培训{training}次，培训{people}人次。",
    "及时调整政务公开领导小组成员，发布政务公开工作通报{checks}次，下发工作任务{c}次。",
    "主动接受社会监督，全年未发生因政府信息公开工作被责任追究的情况。",
]
_PROBLEMS = [
    "{y}年政务公开工作取得一定成绩的同时，也存在一些不足：一是公开内容更新不够及时；二是政策解读形式不够丰富；三是工作人员业务能力有待提升。",
    "虽然政府网站和政务新媒体工作取得一定成绩，但仍存在不足，一是平台建设需加强，网站信息内容保障水平有待进一步提高；二是责任分工还需明确；三是履职尽责还需强化。",
    "对照上级要求，仍存在主动公开的深度和广度不够、依申请公开答复规范性有待加强等问题。",
]
_IMPROVE = [
    "下一步，将持续加大对网站和新媒体发布稿件的抽查频次和检查力度，每月对网站内容开展一次集中检查，深入排查风险隐患。",
    "{ny}年，{who}将继续严格落实《中华人民共和国政府信息公开条例》和上级各项要求，持续加强业务学习和培训，推动政务公开工作再上新台阶。",
    "一是提高思想认识，把信息公开作为一项长期的重要工作抓细抓实；二是逐步扩大公开内容；三是强化业务学习培训，每年组织培训不少于{training}次。",
]
_SIX = [
    "无。",
    "无",
    "依据《国务院办公厅关于印发<政府信息公开信息处理费管理办法>的通知》（国办函〔2020〕109号）规定，{y}年度{who}未收取信息处理费。",
    "{y}年度{who}共办理人大代表建议{p1}件、政协委员提案{p2}件，办结率100%，相关办理结果已按要求公开。",
    "本年度未发生收取信息处理费情况。{y}年共落实政务公开工作要点任务{c}项，完成年度政务公开重点工作。",
]


def _vars(c: ReportContent, rng: random.Random) -> dict:
    f, o = c.facts, c.org
    apps = c.fields["t3.new_received.total"]
    return dict(y=c.year, ny=c.year + 1, who=rng.choice(("我单位", "我局", "本机关", o.name)) if o.level == "bureau"
                else rng.choice((o.name, "本机关", "全区各级各部门")), up=rng.choice(("市委市政府", "区委区政府", "县委县政府")),
                posts=f["posts"], wechat=f["wechat"], readings=f["readings"], meetings=f["meetings"],
                a=rng.randint(3, 400), b=rng.randint(10, 900), c=rng.randint(1, 60), d=rng.randint(1, 80),
                short=o.city[:-1], apps=apps if rng.random() < 0.8 else apps + rng.randint(1, 9),
                co=c.fields["t3.carried_over.total"], cf=c.fields["t3.carried_forward.total"],
                trend=rng.choice(("增加", "减少")), checks=f["checks"], training=f["training"], people=f["people"],
                visits=rng.randint(10**4, 10**7), p1=f["proposals"], p2=rng.randint(0, 40))


def preamble(c: ReportContent, rng: random.Random) -> str:
    o, y = c.org, c.year
    s = rng.choice((
        "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）要求编制。",
        "根据《中华人民共和国政府信息公开条例》（国务院令第711号）要求，编制本报告。",
    ))
    s += f"本报告所列数据统计期限自{y}年1月1日至{y}年12月31日止。"
    # Many reports list their six parts by title; a side stream decides, so that adding this sentence
    # left every other draw of existing samples as it was.
    side = random.Random(f"{c.index_no}:{y}:parts")
    if side.random() < 0.4:
        s += "本报告由" + side.choice(("、", "、", "，")).join(T.SECTION_TITLES.values()) + side.choice(
            ("六部分组成。", "六个部分组成。", "等六个部分组成。"))
    if rng.random() < 0.7:
        s += (f"如对本报告有疑问，请与{o.office}联系（地址：{o.address}；邮编：{o.postcode}；电话：{o.area_code}-"
              f"{rng.randint(2000000, 8999999)}；电子邮箱：{o.domain}zwgk@{rng.choice(('163.com', '126.com', 'qq.com'))}）。")
    return s


def section1(c: ReportContent, rng: random.Random) -> list[str]:
    v = _vars(c, rng)
    apply_t = _APPLY[2] if c.fields["t3.new_received.total"] == 0 else rng.choice(_APPLY[:2] + _APPLY[3:])
    style = rng.randrange(3)
    out = [rng.choice(_OPENERS).format(**v)]
    bodies = [rng.choice(_ACTIVE), apply_t, rng.choice(_MANAGE), rng.choice(_PLATFORM), rng.choice(_SUPERVISE)]
    enums = "一二三四五"
    for i, (heads, body) in enumerate(zip(_SUBHEADS_1, bodies)):
        head = f"（{enums[i]}）{heads[style]}"
        text = body.format(**v)
        if rng.random() < 0.5:
            out += [head, text]
        else:
            out.append(f"{head}。{text}" if style == 2 else f"{head}：{text}")
    return out


def section5(c: ReportContent, rng: random.Random) -> list[str]:
    v = _vars(c, rng)
    return [rng.choice(_PROBLEMS).format(**v), rng.choice(_IMPROVE).format(**v)]


def section6(c: ReportContent, rng: random.Random) -> list[str]:
    v = _vars(c, rng)
    return [rng.choice(_SIX).format(**v)]
