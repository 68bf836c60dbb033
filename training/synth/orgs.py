"""Organisation names of every level, and the contact details printed with them."""
from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Org", "draw_org", "LEVELS"]

# (province short name, city, [districts / counties], phone area code, postcode prefix)
CITIES = [
    ("江苏", "淮安市", ["洪泽区", "淮阴区", "清江浦区", "淮安区", "涟水县", "盱眙县", "金湖县"], "0517", "223"),
    ("福建", "莆田市", ["城厢区", "涵江区", "荔城区", "秀屿区", "仙游县"], "0594", "351"),
    ("河南", "信阳市", ["浉河区", "平桥区", "罗山县", "光山县", "新县", "商城县", "固始县", "潢川县"], "0376", "464"),
    ("河南", "郑州市", ["二七区", "中原区", "金水区", "管城回族区", "惠济区", "上街区", "中牟县"], "0371", "450"),
    ("山东", "淄博市", ["临淄区", "张店区", "淄川区", "博山区", "周村区", "桓台县", "高青县", "沂源县"], "0533", "255"),
    ("河南", "安阳市", ["殷都区", "文峰区", "北关区", "龙安区", "安阳县", "汤阴县", "滑县", "内黄县"], "0372", "455"),
    ("天津", "天津市", ["宁河区", "和平区", "河西区", "南开区", "滨海新区", "武清区", "宝坻区", "蓟州区"], "022", "301"),
    ("浙江", "绍兴市", ["越城区", "柯桥区", "上虞区", "新昌县"], "0575", "312"),
    ("湖南", "株洲市", ["荷塘区", "芦淞区", "石峰区", "天元区", "渌口区", "攸县", "茶陵县"], "0731", "412"),
    ("四川", "绵阳市", ["涪城区", "游仙区", "安州区", "三台县", "盐亭县", "梓潼县", "平武县"], "0816", "621"),
    ("广东", "江门市", ["蓬江区", "江海区", "新会区", "台山市", "开平市", "鹤山市", "恩平市"], "0750", "529"),
    ("安徽", "芜湖市", ["镜湖区", "鸠江区", "弋江区", "湾沚区", "繁昌区", "南陵县", "无为市"], "0553", "241"),
    ("河北", "邢台市", ["襄都区", "信都区", "任泽区", "南和区", "临城县", "内丘县", "柏乡县"], "0319", "054"),
    ("江西", "赣州市", ["章贡区", "南康区", "赣县区", "信丰县", "大余县", "上犹县", "崇义县"], "0797", "341"),
    ("山西", "晋中市", ["榆次区", "太谷区", "榆社县", "左权县", "和顺县", "昔阳县", "寿阳县"], "0354", "030"),
    ("湖北", "宜昌市", ["西陵区", "伍家岗区", "点军区", "猇亭区", "夷陵区", "远安县", "兴山县"], "0717", "443"),
    ("广西", "柳州市", ["城中区", "鱼峰区", "柳南区", "柳北区", "柳江区", "柳城县", "鹿寨县"], "0772", "545"),
    ("辽宁", "鞍山市", ["铁东区", "铁西区", "立山区", "千山区", "台安县", "海城市"], "0412", "114"),
    ("陕西", "宝鸡市", ["渭滨区", "金台区", "陈仓区", "凤翔区", "岐山县", "扶风县", "眉县"], "0917", "721"),
    ("云南", "曲靖市", ["麒麟区", "沾益区", "马龙区", "陆良县", "师宗县", "罗平县", "富源县"], "0874", "655"),
]
BUREAUS = [
    "住房和城乡建设局", "城市管理局", "审计局", "自然资源和规划局", "生态环境局", "教育局", "卫生健康委员会",
    "市场监督管理局", "公安局", "财政局", "人力资源和社会保障局", "交通运输局", "农业农村局", "水利局", "民政局",
    "司法局", "统计局", "文化广电和旅游局", "应急管理局", "商务局", "发展和改革委员会", "医疗保障局",
    "退役军人事务局", "林业局", "数据局", "科学技术局", "工业和信息化局", "行政审批服务局", "信访局", "体育局",
]
TOWN_STEMS = ["城关", "新华", "东城", "西关", "南湖", "北山", "柳林", "青石", "白马", "双桥", "长岭", "石门",
              "临河", "黄庄", "枣林", "杨集", "高桥", "马坊", "龙泉", "桃园", "金山", "平安", "兴隆", "河口"]
STREETS = ["人民路", "解放路", "建设大道", "政府街", "中山路", "文化路", "府前街", "迎宾大道", "振兴路", "广场路"]

LEVELS = ("city_gov", "district_gov", "gov_office", "bureau", "township")


@dataclass(frozen=True)
class Org:
    name: str
    level: str  # one of LEVELS
    city: str
    district: str | None
    area_code: str
    postcode: str
    address: str
    office: str  # who edits the report: "XX人民政府办公室" / "局办公室"
    domain: str


LEVEL_WEIGHTS = {"city_gov": 8, "district_gov": 22, "gov_office": 14, "bureau": 42, "township": 14}


def draw_org(rng: random.Random, levels: dict | None = None) -> Org:
    """An organisation; `levels` (level -> weight) overrides how often each level is drawn."""
    prov, city, districts, code, post = rng.choice(CITIES)
    w = {**dict.fromkeys(LEVELS, 0), **levels} if levels else LEVEL_WEIGHTS
    level = rng.choices(LEVELS, weights=[w[k] for k in LEVELS])[0]
    district = rng.choice(districts)
    municipality = city == "天津市"
    base = district if level != "city_gov" else city
    prefix = ""
    if level != "city_gov" and (municipality or rng.random() < 0.35):
        prefix = city  # "淄博市临淄区人民政府"
    if level == "city_gov":
        name = f"{city}人民政府"
    elif level == "district_gov":
        name = f"{prefix}{district}人民政府"
    elif level == "gov_office":
        name = f"{prefix}{district}人民政府办公室" if rng.random() < 0.75 else f"{city}人民政府办公室"
    elif level == "bureau":
        where = city if rng.random() < 0.5 else f"{prefix}{district}"
        name = f"{where}{rng.choice(BUREAUS)}"
    else:
        stem = rng.choice(TOWN_STEMS)
        name = f"{prefix}{district}{stem}{'镇人民政府' if rng.random() < 0.6 else '街道办事处'}"
    office = name + "办公室" if not name.endswith("办公室") else name
    if level == "bureau":
        office = name.split("市")[-1].split("区")[-1].split("县")[-1] + "办公室"
    address = f"{city}{'' if level == 'city_gov' else district}{rng.choice(STREETS)}{rng.randint(1, 399)}号"
    pin = "".join(rng.choice("abcdefghjkmnpqrstwxyz") for _ in range(rng.randint(2, 4)))
    return Org(name, level, city, None if level == "city_gov" else district, code,
               post + f"{rng.randint(0, 99):03d}"[-3:], address, office, pin)
