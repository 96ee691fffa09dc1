"""Benchmark of the public topic list (/topics/) over 10,000 topics.

    .venv/bin/python bench/topic_list.py [--topics 10000] [--small 100] [--requests 30]
    .venv/bin/python bench/topic_list.py --postgres

Builds, on a scratch database (a SQLite file in a temporary directory, or with
--postgres a PostgreSQL database `yishi_bench_topics` created for the run and dropped
after it), four communities as seed_demo builds them (`import_dwellings`, then their
groups and default catalog), 400 residents, and --small topics bulk-created as the
services write them: titles and descriptions from a few dozen everyday matters (elevator
retrofits, clutter in stairwells, parking, chargers, dogs, …) at building, entrance,
compound or community level, the same searchable text as `save_draft`, every status
(2% drafts, which the list leaves out), signatures, comments and evaluations.

Then, through Django's test client (the whole request: middleware, view, form,
paginator, template), it requests each of these pages --requests times after 3 warm-up
requests, and counts the queries of one more:
  list           /topics/
  status         /topics/?status=proposed
  matter         /topics/?entry=<the group 公共设施与环境 of the first community>
  search         /topics/?q=电梯
  search 2 words /topics/?q=电梯 维修资金
  page 50        /topics/?page=50 (only where there are 50 pages)
The topics are then brought to --topics and the same pages measured again: the pages
at --small topics are the baseline of the same run; ratios are big ÷ small. On
PostgreSQL the two searches are measured once more after dropping the trigram index of
migration 0003 (and ANALYZE), so the run shows them with and without it.

Prints results, queries, p50 and p95 in ms, and the ratios; the last line sums up.
It asserts nothing about time.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from urllib.parse import urlencode

from _setup import fresh_database, say

WARM_UP = 3
COMMUNITIES = ["幸福里社区", "向阳社区", "和平社区", "光明社区"]
COMPOUNDS = ["一期", "二期", "三期"]
BUILDINGS, ENTRANCES, FLOORS, PER_FLOOR = 8, 2, 6, 2
RESIDENTS = 400
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华建国玉兰红梅志海燕"

# Catalog entry, scope ("entrance", "building", "compound", "community"), title, what is wrong.
MATTERS = [
    (
        "加装电梯",
        "entrance",
        "{building}{entrance}单元加装电梯",
        "老楼没有电梯，老人上下楼很困难。建议申请加装电梯补贴，费用按楼层分摊，"
        "不足部分申请使用维修资金，对低层住户给予补偿。",
    ),
    (
        "维修资金使用",
        "building",
        "{building}电梯主机更换",
        "电梯运行十五年，故障越来越多，上个月困人两次。建议使用维修资金更换电梯主机和控制柜。",
    ),
    (
        "维修资金使用",
        "building",
        "{building}屋面防水维修",
        "顶楼住户家里一下雨就漏水，屋面防水层老化开裂。建议申请使用专项维修资金整体翻修。",
    ),
    (
        "环境卫生与垃圾分类",
        "building",
        "{building}楼道堆物清理",
        "楼道里堆着旧家具、纸箱和花盆，挡路又有火灾隐患。建议定时间集中清理。",
    ),
    (
        "环境卫生与垃圾分类",
        "compound",
        "{compound}东门垃圾分类投放点异味",
        "投放点紧挨着住户窗户，夏天味道很大，还招苍蝇。建议增加清运次数，每天冲洗桶站。",
    ),
    (
        "环境卫生与垃圾分类",
        "compound",
        "{compound}垃圾清运时间调整",
        "清运车每天早上六点进小区，噪声吵醒不少老人孩子。建议把清运时间调到七点以后。",
    ),
    (
        "停车管理",
        "compound",
        "{compound}地面停车位划线收费",
        "地面车位没有划线，车越停越乱，消防通道也被占。建议统一划线编号，按月收取管理费。",
    ),
    (
        "停车管理",
        "compound",
        "{compound}外来车辆停车管理",
        "外来车辆随意进出，晚上业主回来没有车位。建议外来车辆登记、限时停放。",
    ),
    (
        "公共设施维护",
        "compound",
        "{compound}增设非机动车充电桩",
        "没有电动自行车充电的地方，有人把电瓶拎回家充，还有人从窗户拉电线。建议在车棚增设充电桩。",
    ),
    (
        "公共设施维护",
        "compound",
        "{compound}路灯维修",
        "小区里好几盏路灯坏了很久，晚上回家黑漆漆的，老人容易摔倒。",
    ),
    (
        "公共设施维护",
        "compound",
        "{compound}健身器材更新",
        "健身器材锈蚀松动，老人孩子用着不安全。建议维修，不能修的更换。",
    ),
    (
        "公共安全",
        "compound",
        "{compound}消防通道占用整治",
        "消防通道长期被私家车和杂物占用，救护车都开不进来。建议划线并设置隔离桩。",
    ),
    (
        "公共安全",
        "building",
        "{building}电动车进电梯入户充电",
        "有人把电动车推进电梯带回家充电，电梯里也有火灾隐患。建议安装电梯阻车系统。",
    ),
    (
        "公共安全",
        "compound",
        "{compound}高空抛物监控",
        "楼下经常有人从楼上扔下垃圾，差点砸到人。建议在楼栋外安装高空抛物监控。",
    ),
    (
        "绿化养护",
        "compound",
        "{compound}毁绿种菜整治",
        "有住户把公共绿地挖了种菜，还浇粪水，气味很重。建议恢复绿化。",
    ),
    (
        "宠物饲养",
        "compound",
        "{compound}文明养犬公约",
        "遛狗不牵绳、狗粪不清理、夜里狗叫扰民。建议制定文明养犬公约，大家共同遵守。",
    ),
    (
        "物业服务",
        "compound",
        "{compound}物业服务质量评议",
        "保洁和保安越来越少，报修好几天没人来。建议开展物业服务满意度评议，公开服务标准。",
    ),
    (
        "公共收益使用",
        "compound",
        "{compound}公共收益用于更换单元门禁",
        "单元门禁经常刷不开，门也关不严。建议从公共收益中列支，更换全部单元门禁。",
    ),
    (
        "公共收益使用",
        "compound",
        "{compound}电梯广告收益公开",
        "电梯里的广告屏装了三年，收益一直没有公开。建议物业每季度公布电梯广告收支。",
    ),
    (
        "邻里纠纷",
        "building",
        "{building}楼上漏水纠纷调解",
        "楼上卫生间漏水，楼下天花板发霉，双方协商不成。请楼栋议事会协调。",
    ),
    (
        "邻里纠纷",
        "building",
        "{building}夜间噪声扰民",
        "楼上夜里拖椅子、跳绳，楼下老人睡不好觉。希望楼栋议事会出面协调。",
    ),
    (
        "社区公共事务",
        "community",
        "{community}广场舞音量管理",
        "晚上广场舞音响声音太大，临街住户意见很大。建议约定时间和音量。",
    ),
    (
        "社区公共事务",
        "community",
        "{community}养老服务站选址",
        "社区老人越来越多，建议在社区党群服务中心附近设置养老服务站，提供助餐和日间照料。",
    ),
]
MORE = [
    "已向物业反映多次，一直没有解决。",
    "附近住户意见很大，请大家联署支持。",
    "希望居委会和物业尽快协调解决。",
    "具体方案可以在议事会上再商量。",
    "有照片可以提供给居委会。",
]
# Share of each status among the topics, in per cent.
STATUSES = {
    "draft": 2,
    "proposed": 30,
    "accepted": 10,
    "declined": 8,
    "scheduled": 7,
    "deliberated": 5,
    "resolved": 8,
    "implementing": 10,
    "closed": 20,
}
TWO_WORDS = "电梯 维修资金"
# Created by deliberation/migrations/0003_topic_search_trgm.py on PostgreSQL.
TRGM_INDEX = "deliberation_topic_search_trgm"
NO_INDEX = ", no trigram index"


def register_rows(community: str) -> list[dict[str, str]]:
    rows = []
    for suffix in COMPOUNDS:
        compound = community[:2] + suffix
        for b in range(1, BUILDINGS + 1):
            for entrance in range(1, ENTRANCES + 1):
                for floor in range(1, FLOORS + 1):
                    for unit in range(1, PER_FLOOR + 1):
                        rows.append(
                            {
                                "compound": compound,
                                "building": f"{b}号楼",
                                "entrance": str(entrance),
                                "floor": str(floor),
                                "number": f"{floor}{unit:02d}",
                                "registered_area": "89.50",
                                "area_source": "registered",
                                "owner_name": "",
                                "owner_phone": "",
                                "developer_held": "false",
                                "delivered": "true",
                            }
                        )
    return rows


def build_places(rng: random.Random) -> dict:
    """The communities with their compounds, buildings and default catalogs; residents."""
    from django.contrib.auth.hashers import make_password

    from deliberation.models import Building, CatalogEntry, User
    from deliberation.services import imports, people

    communities = []
    for name in COMMUNITIES:
        community = imports.import_dwellings(name, register_rows(name), source="bench").community
        people.ensure_community_groups(community)
        communities.append(community)
    password = make_password(None)
    User.objects.bulk_create(
        User(
            phone=f"+8613{i:09d}",
            display_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            password=password,
        )
        for i in range(RESIDENTS)
    )
    return {
        "communities": communities,
        "buildings": list(Building.objects.select_related("compound__community").order_by("pk")),
        "entries": {
            (e.community_id, e.name): e for e in CatalogEntry.objects.select_related("parent")
        },
        "users": list(User.objects.order_by("pk")),
    }


def make_topic(rng: random.Random, places: dict, now: dt.datetime):
    """One topic as the services would have left it in a status drawn from STATUSES."""
    from deliberation.models import Topic
    from deliberation.services.topics import _text_for_search

    entry_name, scope, title, body = rng.choice(MATTERS)
    building = rng.choice(places["buildings"])
    compound, community = building.compound, building.compound.community
    entrance = str(rng.randint(1, ENTRANCES)) if scope == "entrance" else ""
    households = {
        "entrance": FLOORS * PER_FLOOR,
        "building": ENTRANCES * FLOORS * PER_FLOOR,
        "compound": BUILDINGS * ENTRANCES * FLOORS * PER_FLOOR,
        "community": len(COMPOUNDS) * BUILDINGS * ENTRANCES * FLOORS * PER_FLOOR,
    }[scope]
    status = rng.choices(list(STATUSES), list(STATUSES.values()))[0]
    created = now - dt.timedelta(minutes=rng.randint(60, 3 * 365 * 24 * 60))
    topic = Topic(
        community=community,
        compound=compound if scope != "community" else None,
        building=building if scope in ("building", "entrance") else None,
        entrance=entrance,
        catalog_entry=places["entries"][community.pk, entry_name],
        title=title.format(
            building=building.name,
            entrance=entrance,
            compound=compound.name,
            community=community.name,
        ),
        body=body + "".join(rng.sample(MORE, rng.randint(1, 2))),
        proposed_by=rng.choice(places["users"]),
        status=status,
        created_at=created,
        proposed_at=None if status == "draft" else created + dt.timedelta(hours=1),
        status_changed_at=created + dt.timedelta(days=rng.randint(0, 60)),
        households_in_scope=0 if status == "draft" else households,
        owners_in_scope=0 if status == "draft" else households,
        signature_count=0 if status == "draft" else rng.randint(1, max(2, households // 4)),
        comment_count=0 if status == "draft" else rng.randint(0, 25),
    )
    topic.owner_signature_count = topic.signature_count
    if status not in ("draft", "proposed", "declined"):
        topic.accepted_by = rng.choice(["threshold", "committee"])
    if status == "declined":
        topic.decline_reason = "不属于议事会协商范围，已转交相关部门处理。"
    if status not in ("draft", "proposed", "accepted", "declined"):
        topic.schedule_note = "居民议事会"
        topic.scheduled_for = topic.status_changed_at
    if status in ("resolved", "implementing", "closed"):
        topic.resolution = "经议事会协商，同意按提议方案实施，由物业负责落实。"
    if status in ("implementing", "closed"):
        topic.responsible, topic.responsible_name = "property_company", "物业服务中心"
    if status == "closed":
        topic.evaluation_count = rng.randint(0, 20)
        topic.satisfaction_total = sum(rng.randint(1, 5) for _ in range(topic.evaluation_count))
    topic.search_text = _text_for_search(topic)
    return topic


def add_topics(count: int, rng: random.Random, places: dict) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from deliberation.models import Topic

    now = timezone.now()
    with transaction.atomic():
        Topic.objects.bulk_create(
            (make_topic(rng, places, now) for _ in range(count)), batch_size=1000
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def pages(places: dict) -> list[tuple[str, str, dict]]:
    """Label, URL and the filters of `queries.public_topics` it stands for."""
    from django.urls import reverse

    group = places["entries"][places["communities"][0].pk, "公共设施与环境"].pk
    url = reverse("deliberation:topics")
    return [
        (label, f"{url}?{urlencode(params)}" if params else url, filters)
        for label, params, filters in [
            ("list", {}, {}),
            ("status", {"status": "proposed"}, {"status": "proposed"}),
            ("matter", {"entry": group}, {"catalog_entry": group}),
            ("search", {"q": "电梯"}, {"text": "电梯"}),
            ("search 2 words", {"q": TWO_WORDS}, {"text": TWO_WORDS}),
            ("page 50", {"page": 50}, {}),
        ]
    ]


def measure(client, url: str, requests: int) -> tuple[list[float], int]:
    """Wall times of `requests` GETs after WARM_UP ones, and the queries of one more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return times, len(queries)


def without_trigram_index() -> bool:
    """On PostgreSQL, drop the search's trigram index (and, with it, the statistics on
    its expression) so the same searches can be measured without it; False elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [TRGM_INDEX])
        if cursor.fetchone() is None:
            return False
        cursor.execute(f"DROP INDEX {TRGM_INDEX}")
        cursor.execute("ANALYZE deliberation_topic")
    return True


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def run(options, database: str) -> None:
    from django.test import Client

    from deliberation.queries import public_topics

    rng = random.Random(options.seed)
    say("Building the communities, their catalogs and residents …")
    places = build_places(rng)
    client = Client()
    figures: dict[tuple[str, int], tuple[int, int, float, float]] = {}
    built = 0
    for size in (options.small, options.topics):
        say(f"Bulk-creating topics up to {size:,} …")
        start = time.perf_counter()
        add_topics(size - built, rng, places)
        built = size
        say(f"  {time.perf_counter() - start:.1f} s; measuring …")
        for label, url, filters in pages(places):
            count = public_topics(**filters).count()
            if label == "page 50" and count <= 49 * 20:
                continue
            times, statements = measure(client, url, options.requests)
            figures[label, size] = (count, statements, statistics.median(times), p95(times))
    if without_trigram_index():
        say("Measuring the searches again without the trigram index …")
        for label, url, filters in pages(places):
            if label.startswith("search"):
                count = public_topics(**filters).count()
                times, statements = measure(client, url, options.requests)
                figures[label + NO_INDEX, options.topics] = (
                    count,
                    statements,
                    statistics.median(times),
                    p95(times),
                )

    small, big = options.small, options.topics
    print(
        f"\n{database}, {os.cpu_count()} CPUs; {options.requests} requests a page through "
        f"Django's test client after {WARM_UP} warm-up ones, queries of one more."
    )
    print(
        f"{'page':34} {'topics':>7} {'results':>7} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'p95 × baseline':>14}"
    )
    for (label, size), (count, statements, median, high) in figures.items():
        base = figures.get((label.removesuffix(NO_INDEX), small), figures["list", small])
        print(
            f"{label:34} {size:7,} {count:7,} {statements:7} {median * 1000:8.1f} "
            f"{high * 1000:8.1f} {high / base[3]:14.2f}"
        )
    print(f"\nRatios {big:,} ÷ {small:,} topics (p50, p95, queries):")
    for label, *_ in pages(places):
        for variant in (label, label + NO_INDEX):
            if (variant, big) not in figures or (label, small) not in figures:
                continue
            b, s = figures[variant, big], figures[label, small]
            print(
                f"  {variant:34} p50 {b[2] / s[2]:5.2f}×  p95 {b[3] / s[3]:5.2f}×  "
                f"queries {b[1]} vs {s[1]}"
            )
    print(f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")
    listed, searched, baseline = (
        figures["list", big],
        figures["search", big],
        figures["list", small],
    )
    print(
        f"topics={big} list_p95_ms={listed[3] * 1000:.1f} search_p95_ms={searched[3] * 1000:.1f} "
        f"queries={listed[1]} baseline_p95_ms={baseline[3] * 1000:.1f} "
        f"ratio={listed[3] / baseline[3]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100, help="the baseline's topics")
    parser.add_argument("--requests", type=int, default=30, help="timed requests a page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL, not SQLite")
    options = parser.parse_args()
    # As served: no debug page, no query log kept in memory.
    os.environ.setdefault("DEBUG", "0")

    with fresh_database("yishi_bench_topics", options.postgres) as database:
        run(options, database)


if __name__ == "__main__":
    sys.exit(main())
