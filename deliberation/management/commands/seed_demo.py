"""Build the demo community 幸福里社区. Running it again changes nothing."""

import datetime as dt
import random
from decimal import Decimal

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from deliberation.models import (
    Building,
    Community,
    Council,
    Dwelling,
    Meeting,
    Membership,
    Pact,
    Role,
    Topic,
    User,
)
from deliberation.services import imports, people, room
from deliberation.services import meetings as meeting_services
from deliberation.services import pacts as pact_services
from deliberation.services import polls as poll_services
from deliberation.services import topics as topic_services
from deliberation.services.pacts import ArticleInput
from polls.models import Poll

COMMUNITY = "幸福里社区"
# A fixed secret so that `./dev totp PHONE` can print the demo staff's current code.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (demo only, refused in production)

COMPOUNDS = [  # name, buildings, entrances, floors, dwellings per floor and entrance
    ("幸福里一期", 12, 2, 6, 4),
    ("幸福里二期", 10, 2, 6, 4),
    ("和平苑", 8, 2, 6, 4),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰红梅志强文海燕"

STAFF = [
    # phone, display name, role, compound name or None (the whole community), title
    ("+8613900000001", "张主任", Role.Kind.RESIDENTS_COMMITTEE, None, "居委会主任"),
    ("+8613900000002", "刘委员", Role.Kind.OWNERS_COMMITTEE, "幸福里一期", "业委会主任"),
    ("+8613900000003", "陈监督", Role.Kind.SUPERVISORY_COMMITTEE, None, "监委会主任"),
    ("+8613900000004", "赵经理", Role.Kind.PROPERTY_COMPANY, None, "物业项目经理"),
    ("+8613900000005", "周书记", Role.Kind.PARTY_ORGANISATION, None, "社区党委书记"),
]
RESIDENTS = [
    # phone, display name, (compound, building, entrance, number), kind, verified
    ("+8613800000001", "王阿姨", ("幸福里一期", "3号楼", "2", "301"), "owner", True),
    ("+8613800000002", "李先生", ("幸福里一期", "3号楼", "2", "302"), "owner", False),
    ("+8613800000003", "小孙", ("幸福里二期", "5号楼", "1", "201"), "tenant", True),
]
# Neighbours who take part in the demo's topics, each in the first dwelling of the floor
# that nobody above has claimed: phone, display name, (compound, building, entrance, floor).
NEIGHBOURS = [
    ("+8613800000004", "钱阿姨", ("幸福里一期", "3号楼", "2", 6)),
    ("+8613800000005", "孙老师", ("幸福里一期", "3号楼", "2", 5)),
    ("+8613800000006", "周奶奶", ("幸福里一期", "3号楼", "2", 4)),
    ("+8613800000007", "赵大爷", ("幸福里一期", "3号楼", "2", 1)),
    ("+8613800000008", "吴先生", ("幸福里一期", "3号楼", "2", 2)),
    ("+8613800000009", "冯师傅", ("幸福里一期", "2号楼", "1", 3)),
]
# The demo's pacts: (heading, text) of the community's resident pact, and (chapter,
# heading, text) of 幸福里一期's house rules.
RESIDENT_PACT = [
    ("邻里和睦", "邻里之间互相尊重、互相帮助，遇到矛盾先沟通协商，不恶语相向。"),
    ("尊老爱幼", "关心社区里的老人、儿童和残疾人，困难家庭有需要时主动搭把手。"),
    ("环境卫生", "爱护公共环境，垃圾分类投放，不乱扔杂物。"),
    ("安全防范", "注意防火防盗，不在楼道内存放易燃物品，发现隐患及时报告。"),
    ("移风易俗", "红白喜事从简办理，不在公共区域搭棚办事、燃放烟花爆竹。"),
    ("参与议事", "积极参加社区议事和居民会议，对社区事务提出意见和建议。"),
    ("附则", "本公约经居民会议通过后施行，由社区居民议事会负责解释。"),
]
HOUSE_RULES = [
    ("第一章 总则", "目的", "为维护小区公共秩序和全体业主、住户的共同利益，制定本家规。"),
    ("第一章 总则", "适用范围", "本家规适用于幸福里一期的全体业主、住户及其访客。"),
    (
        "第二章 文明居住",
        "养宠",
        "饲养犬只应当依法办理登记，出户时拴绳牵引，及时清理宠物粪便；"
        "不得在楼道、电梯内放任宠物活动。",
    ),
    ("第二章 文明居住", "停车", "机动车按车位停放，不占用消防通道和绿地。"),
    ("第二章 文明居住", "垃圾分类", "生活垃圾分类后投放到指定地点，大件垃圾预约清运。"),
    (
        "第二章 文明居住",
        "噪声",
        "装修施工应当在规定时间内进行；晚二十二时至次日七时，不得制造干扰邻居休息的噪声。",
    ),
    (
        "第三章 物业服务与费用",
        "物业费",
        "业主应当按照物业服务合同按时交纳物业费；物业服务企业每半年公示收支情况。",
    ),
    (
        "第三章 物业服务与费用",
        "公共收益",
        "利用小区共有部分取得的收益，扣除合理成本后属于全体业主，每年公布一次。",
    ),
    ("第四章 附则", "施行", "本家规经业主共同决定通过后施行，修改时亦同。"),
]
ADMIN_PHONE = "+8613900000000"
ELEVATOR_POLL = "3号楼2单元加装电梯及使用维修资金"
GREENING_POLL = "小区绿化改造方案评议"


def register_rows(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for compound, buildings, entrances, floors, per_floor in COMPOUNDS:
        for b in range(1, buildings + 1):
            building = f"{b}号楼"
            unsold = compound == "和平苑" and b == buildings
            for entrance in range(1, entrances + 1):
                for floor in range(1, floors + 1):
                    for unit in range(1, per_floor + 1):
                        area = Decimal(rng.randrange(6800, 14200)) / 100
                        developer_held = unsold and floor >= 3
                        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                        number = f"{floor}{unit:02d}"
                        if (compound, building, entrance) == ("幸福里一期", "3号楼", 2):
                            name = {"301": "王秀英", "302": "李建国"}.get(number, name)
                        rows.append(
                            {
                                "_line": str(len(rows) + 2),
                                "compound": compound,
                                "building": building,
                                "entrance": str(entrance),
                                "floor": str(floor),
                                "number": number,
                                "registered_area": f"{area:.2f}",
                                "area_source": "surveyed" if unsold else "registered",
                                "owner_name": "" if developer_held else name,
                                "owner_phone": "",
                                "developer_held": "true" if developer_held else "false",
                                "delivered": "false" if developer_held else "true",
                            }
                        )
    return rows


class Command(BaseCommand):
    help = "Create the demo community 幸福里社区 with its register, residents and committees."

    @transaction.atomic
    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates accounts with known codes; not in production.")
        rng = random.Random(20261126)
        result = imports.import_dwellings(
            COMMUNITY, register_rows(rng), source="seed_demo", progress=None
        )
        community = result.community
        people.ensure_community_groups(community)
        admin = self._user(ADMIN_PHONE, "系统管理员", superuser=True)
        compounds = {c.name: c for c in community.compounds.all()}
        staff = {}
        for phone, name, kind, compound_name, title in STAFF:
            user = staff[name] = self._user(phone, name)
            compound = compounds[compound_name] if compound_name else None
            people.grant_role(admin, user, kind, community, compound, title)
        chair = staff["张主任"]
        self._residents(community, chair, rng)
        self._polls(community, chair, rng)
        self._topics(community, staff)
        self._meetings(community, staff)
        self._pacts(community, staff, rng)
        counts = {
            "dwellings": Dwelling.objects.filter(building__compound__community=community).count(),
            "verified": Membership.objects.filter(status="verified").count(),
            "pending": Membership.objects.filter(status="pending").count(),
            "topics": Topic.objects.filter(community=community).count(),
            "meetings": Meeting.objects.filter(community=community).count(),
            "pacts": Pact.objects.filter(community=community).count(),
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"{COMMUNITY}: {counts['dwellings']} dwellings, {counts['verified']} verified "
                f"and {counts['pending']} pending memberships, {counts['topics']} topics, "
                f"{counts['meetings']} meetings, {counts['pacts']} pacts."
            )
        )

    def _polls(self, community: Community, chair: User, rng: random.Random) -> None:
        """An open owners' vote on the elevator of 3号楼 2单元 (王阿姨 may vote online;
        paper ballots of neighbours already counted) and a published residents' vote."""
        if Poll.objects.exists():
            return
        compound = community.compounds.get(name="幸福里一期")
        building = compound.buildings.get(name="3号楼")
        elevator = poll_services.create_poll(
            chair,
            kind="owners",
            place=building,
            entrance="2",
            rule_name="owners_special",
            title=ELEVATOR_POLL,
            description=(
                "拟在3号楼2单元加装电梯一部，费用按楼层分摊，不足部分申请使用专项维修资金。"
                "方案及分摊表已在单元门口公示。"
            ),
            secrecy=Poll.Secrecy.NAMED,
            results=Poll.Results.LIVE,
            questions=[{"kind": "yes_no", "text": "是否同意加装电梯并使用维修资金？"}],
        )
        poll_services.prepare_roll(chair, elevator)
        poll_services.open_poll(chair, elevator)
        question = elevator.questions.get()
        options = {o.code: o.pk for o in question.options.all()}
        # 王阿姨 (301) votes herself online; fourteen neighbours voted on paper.
        others = elevator.roll.entries.exclude(user__phone="+8613800000001").order_by("pk")
        for entry in others[:14]:
            choice = rng.choice(["yes", "yes", "yes", "no", "abstain"])
            poll_services.enter_paper_ballot(chair, elevator, entry, {question.pk: options[choice]})

        greening = poll_services.create_poll(
            chair,
            kind="households",
            place=compound,
            title=GREENING_POLL,
            secrecy=Poll.Secrecy.SECRET,
            results=Poll.Results.HIDDEN_UNTIL_CLOSED,
            questions=[
                {
                    "kind": "single",
                    "text": "中心花园改造选哪个方案？",
                    "options": ["方案一：增加健身步道", "方案二：增设儿童游乐区", "维持现状"],
                }
            ],
        )
        poll_services.prepare_roll(chair, greening)
        poll_services.open_poll(chair, greening)
        question = greening.questions.get()
        choices = list(question.options.values_list("pk", flat=True))
        for entry in greening.roll.entries.order_by("pk")[:12]:
            poll_services.enter_paper_ballot(
                chair, greening, entry, {question.pk: rng.choice(choices)}
            )
        poll_services.close_poll(chair, greening)
        poll_services.publish_result(chair, greening)

    def _user(self, phone: str, name: str, superuser: bool = False) -> User:
        user = User.objects.filter(phone=phone).first()
        if user is None:
            factory = User.objects.create_superuser if superuser else User.objects.create_user
            user = factory(phone, display_name=name, phone_verified=True)
        if (superuser or user.is_staff or phone.startswith("+86139")) and not (
            Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_TOTP_SECRET)
        return user

    def _residents(self, community: Community, chair: User, rng: random.Random) -> None:
        dwellings = {
            (d.building.compound.name, d.building.name, d.entrance, d.number): d
            for d in Dwelling.objects.filter(building__compound__community=community)
            .select_related("building__compound")
            .order_by("pk")
        }
        named = [(p, n, dwellings[k], kind, ok) for p, n, k, kind, ok in RESIDENTS]
        # A believable crowd: about one household in ten has signed up, a few still pending.
        crowd_dwellings = [
            d for d in dwellings.values() if not d.counts_with_developer and d.number != "301"
        ]
        crowd = []
        for i, dwelling in enumerate(rng.sample(crowd_dwellings, 150)):
            name = rng.choice(SURNAMES) + rng.choice(["阿姨", "先生", "女士", "师傅", "大爷"])
            kind = "owner" if i % 4 else rng.choice(["tenant", "family"])
            crowd.append((f"+86137{i:08d}", name, dwelling, kind, i % 6 != 0))
        taken = {entry[2].pk for entry in named + crowd}
        neighbours = []
        for phone, name, (*entrance, floor) in NEIGHBOURS:
            dwelling = next(
                d
                for key, d in dwellings.items()
                if list(key[:3]) == entrance and d.floor == floor and d.pk not in taken
            )
            taken.add(dwelling.pk)
            neighbours.append((phone, name, dwelling, "owner", True))
        for phone, name, dwelling, kind, verified in named + crowd + neighbours:
            if User.objects.filter(phone=phone).exists():
                continue
            user = User.objects.create_user(phone, display_name=name, phone_verified=True)
            membership = people.claim_dwelling(user, dwelling, kind)
            if verified:
                people.verify_membership(chair, membership)

    def _topics(self, community: Community, staff: dict[str, User]) -> None:
        """Topics in every state of their life, each step taken through the services as
        residents and staff take it, so that signatures, the trace, the timeline and the
        notifications are real. The 3号楼2单元 elevator goes from 王阿姨's proposal,
        co-signed by her neighbours into the queue, to a hearing and the owners' vote."""
        if Topic.objects.filter(community=community).exists():
            return
        chair, owners_chair, manager = staff["张主任"], staff["刘委员"], staff["赵经理"]
        catalog = {entry.name: entry for entry in community.catalog_entries.all()}
        compounds = {c.name: c for c in community.compounds.all()}
        yiqi, erqi, heping = compounds["幸福里一期"], compounds["幸福里二期"], compounds["和平苑"]
        named = {u.phone: u for u in User.objects.filter(phone__startswith="+86138")}
        wang, li, sun = (named[p] for p, *_ in RESIDENTS)
        qian, sun_teacher, zhou, zhao, wu, feng = (named[p] for p, *_ in NEIGHBOURS)
        # The crowd's verified members in 一期, 二期 and 和平苑.
        a, b, c = (self._crowd(compound) for compound in (yiqi, erqi, heping))
        evening = timezone.localtime().replace(hour=19, minute=0, second=0, microsecond=0)

        # A draft only its writer sees.
        topic_services.save_draft(
            sun,
            catalog_entry=catalog["公共设施维护"],
            scope=topic_services.scope_key(erqi.buildings.get(name="5号楼")),
            title="5号楼门前路灯损坏",
            body="5号楼1单元门口的路灯坏了快一个月，晚上回家黑漆漆的，老人容易摔倒。"
            "想请物业尽快修好，顺便把小区里其他不亮的路灯也查一遍。",
        )

        # Proposed, collecting co-signatures.
        doors = self._propose(
            a[0],
            catalog["公共收益使用"],
            yiqi,
            "公共收益用于更换单元门禁",
            "一期的单元门禁用了十年，经常刷不开，门也关不严，外卖和推销的人随便进出。"
            "建议从电梯广告和停车场的公共收益中列支，把全部单元门禁换成刷卡加人脸识别的。"
            "公共收益怎么用，需要业主共同决定，请大家联署。",
            signers=[a[1], a[2]],
        )
        self._discuss(
            doors,
            [
                (a[1], "support", "支持，我们单元的门上个月又坏了，修了三次。", []),
                (
                    a[2],
                    "oppose",
                    "人脸识别要采集我们的信息，数据谁来管？刷卡就够了。",
                    [(a[0], "neutral", "可以做成刷卡为主、人脸自愿登记，方案里写清楚。")],
                ),
            ],
        )
        dogs = self._propose(
            c[0],
            catalog["宠物饲养"],
            heping,
            "制定和平苑文明养犬公约",
            "小区里养狗的越来越多，遛狗不牵绳、狗粪不清理、夜里狗叫扰民的事经常发生，"
            "邻里之间闹了好几次矛盾。建议由议事会牵头起草《和平苑文明养犬公约》，"
            "约定遛狗牵绳、及时清理粪便、电梯里抱起或让行等，征求全体住户意见后执行。",
            signers=[c[1], c[2]],
        )
        self._discuss(
            dogs,
            [
                (
                    c[3],
                    "support",
                    "支持！早上带孩子下楼，好几次被没牵绳的大狗吓到。",
                    [(c[1], "support", "同感，电梯里最好也约定一下。")],
                ),
                (
                    c[4],
                    "neutral",
                    "我也养狗，愿意遵守公约。能不能在绿地边上划一块遛狗区？",
                    [],
                ),
            ],
        )
        advert = topic_services.post_comment(
            c[5], dogs, text="出售九成新电动车电池，价格优惠，有意者加微信详聊。"
        )
        topic_services.report_comment(c[0], advert, "广告，与议题无关。")
        abuse = topic_services.post_comment(
            c[6],
            dogs,
            stance="oppose",
            text="养狗的都没素质！谁家的狗再在我家楼下拉屎，我就把屎扔到他家门口！",
        )
        topic_services.report_comment(c[3], abuse, "威胁他人。")
        topic_services.report_comment(c[4], abuse, "言语侮辱。")
        topic_services.hide_comment(chair, abuse, "含侮辱和威胁他人的言论，不符合议事规则。")

        # Accepted when enough households co-signed.
        smell = self._propose(
            a[3],
            catalog["环境卫生与垃圾分类"],
            yiqi,
            "小区东门垃圾分类投放点异味",
            "东门垃圾分类投放点紧挨着1号楼和2号楼，夏天湿垃圾桶味道很大，还招苍蝇，"
            "晚上八点以后桶满了也没人清运。建议增加清运次数、每天冲洗桶站，"
            "或者把投放点挪到离住户远一些的位置。",
            signers=a[4:8],
        )
        self._discuss(
            smell,
            [
                (
                    a[4],
                    "support",
                    "住1号楼一楼，窗户都不敢开。",
                    [(manager, "neutral", "物业已安排每天傍晚加清一次，桶站每天冲洗。")],
                ),
                (a[5], "neutral", "挪到哪里都会挨着别人家，最好先把清运做好。", []),
            ],
        )
        # Accepted by the committee, long before 10% of the compound co-signed.
        parking = self._propose(
            a[8],
            catalog["停车管理"],
            yiqi,
            "地面停车位划线收费",
            "一期地面车位没有划线，车越停越乱，消防通道也被占。建议统一划线编号，"
            "按月收取停车管理费，收入作为公共收益，优先保障本小区业主。",
            signers=[a[9]],
        )
        topic_services.accept(owners_chair, parking)
        self._discuss(
            parking,
            [
                (
                    a[9],
                    "support",
                    "赞成划线，收费标准要先公示、听大家意见。",
                    [(owners_chair, "neutral", "业委会会先做车位摸底，再开听证会讨论收费标准。")],
                )
            ],
        )

        # Declined, with the reason shown to everyone.
        garage = self._propose(
            c[7],
            catalog["停车管理"],
            heping,
            "中心绿地改建地下停车场",
            "和平苑车位太少，建议把中心绿地挖掉，建一个两层的地下停车场。",
        )
        topic_services.decline(
            chair,
            garage,
            "改建地下停车场涉及规划调整、占用绿地和大额资金，不是小区议事会能决定的事项。"
            "已向街道城建科反映停车难的问题；居委会将先协调周边单位错时共享车位。",
        )

        # Deliberated at the building's council.
        clutter = self._propose(
            feng,
            catalog["环境卫生与垃圾分类"],
            yiqi.buildings.get(name="2号楼"),
            "2号楼楼道堆物清理",
            "2号楼各单元楼道里堆着旧家具、纸箱和电动车，既挡路又有火灾隐患，"
            "消防检查也提出过。建议定一个时间集中清理，以后楼道不再堆放杂物。",
            signers=self._crowd(yiqi.buildings.get(name="2号楼"))[:2],
        )
        topic_services.accept(chair, clutter)
        topic_services.schedule(
            chair,
            clutter,
            note="2号楼楼栋议事会：楼道堆物清理",
            scheduled_for=evening - dt.timedelta(days=3),
        )
        topic_services.mark_deliberated(chair, clutter)

        # Resolved by the households' vote on the central garden.
        greening = Poll.objects.get(title=GREENING_POLL)
        figures = greening.result.data
        winner = max(figures["questions"][0]["options"], key=lambda o: o["heads"])["label"]
        garden = self._propose(
            a[10],
            catalog["绿化养护"],
            yiqi,
            "中心花园改造",
            "中心花园的草坪被踩秃了，座椅也坏了好几张，孩子和老人都没地方活动。"
            "建议结合居民意见重新规划，改造前先让大家评议方案。",
            signers=[a[11], a[12]],
        )
        topic_services.accept(chair, garden)
        topic_services.schedule(chair, garden, note="居民评议：中心花园改造方案", poll=greening)
        topic_services.mark_deliberated(chair, garden)
        topic_services.resolve(
            chair,
            garden,
            resolution=f"居民评议共{figures['ballots']}户参与，“{winner}”得票最多。"
            "议事会决定按此方案请设计单位出具施工图，在小区公告栏公示7天后施工，"
            "费用从绿化养护经费中列支。",
        )

        # Carried out by the property company, which reports its progress.
        chargers = self._propose(
            b[0],
            catalog["公共安全"],
            erqi,
            "增设非机动车充电桩",
            "二期没有电动自行车充电的地方，不少人把电瓶拎回家充，还有人从窗户拉电线，"
            "非常危险。建议在车棚增设集中充电桩，按次收费。",
            signers=[b[1], b[2]],
        )
        self._carry_out(
            chair,
            manager,
            chargers,
            meeting=("二期居民议事会：非机动车集中充电方案", evening - dt.timedelta(days=20)),
            resolution="在东门车棚和5号楼北侧增设充电桩共24个，由物业负责安装和日常管理，"
            "扫码充电，每小时0.5元；安装完成后，楼道和室内一律不得充电。",
            progress=[
                "已与供电公司确认用电容量，充电桩选型和安装位置已在二期公告栏公示。",
                "东门车棚12个充电桩已安装完毕，正在调试，预计下周投入使用。",
            ],
        )
        topic_services.post_comment(sun, chargers, text="希望5号楼北侧的也抓紧，谢谢物业。")

        # Closed, and evaluated by the households it concerned.
        fitness = self._propose(
            b[3],
            catalog["公共设施维护"],
            erqi,
            "二期中心广场健身器材维修",
            "中心广场的漫步机和单杠锈得厉害，有一台扭腰器已经松动，老人和孩子用着不安全。"
            "建议尽快维修，实在不能修的就更换。",
            signers=b[4:8],
        )
        self._carry_out(
            chair,
            manager,
            fitness,
            meeting=("二期居民议事会：健身器材维修", evening - dt.timedelta(days=40)),
            resolution="更换松动的扭腰器和漫步机各一台，其余器材除锈刷漆；费用由物业从公共设施"
            "维护费中列支，完工后由居民评议。",
            progress=[
                "新器材已订购，旧扭腰器已拆除并设置警示围挡。",
                "新器材安装完成，其余器材已除锈刷漆，已通过验收。",
            ],
        )
        topic_services.close(chair, fitness)
        for user, satisfaction, comment in [
            (b[3], 5, "修得很快，新器材很结实。"),
            (b[4], 4, "满意，希望以后定期检查。"),
            (b[5], 4, ""),
            (b[8], 3, "刷漆的味道大了几天，施工前最好提前通知。"),
        ]:
            topic_services.evaluate(user, fitness, satisfaction=satisfaction, comment=comment)

        # 王阿姨's elevator: co-signed by her neighbours into the queue, then put to a hearing
        # and the owners' vote under owners_special that is open now.
        building = yiqi.buildings.get(name="3号楼")
        elevator = self._propose(
            wang,
            catalog["加装电梯"],
            building,
            "3号楼2单元加装电梯",
            "3号楼2单元是六层老楼，没有电梯，住户里七十岁以上的老人有十多位，"
            "上下楼非常困难。建议申请既有住宅加装电梯政府补贴，不足部分按楼层分摊，"
            "可申请使用专项维修资金；对一、二楼住户的采光和噪声影响给予适当补偿。",
            entrance="2",
            signers=[qian, sun_teacher, zhou],
        )
        self._discuss(
            elevator,
            [
                (qian, "support", "我家住六楼，老伴腿脚不好，盼电梯盼了好多年了，支持！", []),
                (
                    zhao,
                    "oppose",
                    "我住一楼，用不上电梯，井道挡在窗前，采光和噪声怎么解决？",
                    [
                        (
                            wang,
                            "neutral",
                            "赵大爷，方案里一楼不分摊费用，还有补偿，咱们一起去看看图纸。",
                        ),
                        (chair, "neutral", "听证会上会请设计单位专门说明采光和噪声的影响。"),
                    ],
                ),
                (
                    wu,
                    "neutral",
                    "各楼层分摊比例能不能在听证会前公示？二楼出多少要说清楚。",
                    [(chair, "neutral", "分摊方案会在听证会前一周在单元门口和本平台公示。")],
                ),
            ],
        )
        topic_services.schedule(
            chair,
            elevator,
            note="听证会：3号楼2单元加装电梯方案",
            scheduled_for=evening + dt.timedelta(days=7),
            poll=Poll.objects.get(title=ELEVATOR_POLL),
        )
        for user in (li, chair, owners_chair):
            topic_services.follow(user, elevator)
        topic_services.follow(sun, chargers)

    def _meetings(self, community: Community, staff: dict[str, User]) -> None:
        """Councils at the three levels; the hearing on the 3号楼2单元 elevator, scheduled
        with registered speakers and the owners' vote on its agenda, for the chair to run
        live; and a 2号楼 council meeting held earlier, whose minutes are published."""
        if Meeting.objects.filter(community=community).exists():
            return
        chair, owners_chair, manager = staff["张主任"], staff["刘委员"], staff["赵经理"]
        named = {u.phone: u for u in User.objects.filter(phone__startswith="+86138")}
        wang = named[RESIDENTS[0][0]]
        qian, sun_teacher, zhou, zhao, wu, feng = (named[p] for p, *_ in NEIGHBOURS)
        yiqi = community.compounds.get(name="幸福里一期")
        building3, building2 = (yiqi.buildings.get(name=n) for n in ("3号楼", "2号楼"))

        whole = meeting_services.create_council(
            chair,
            place=community,
            name="幸福里社区居民议事会",
            description="由居民代表、业委会、物业和驻区单位代表组成，议定社区公共事务。",
        )
        for user, office in ((chair, "chair"), (owners_chair, "member"), (manager, "member")):
            meeting_services.set_council_member(chair, whole, user, office)
        meeting_services.create_council(chair, place=yiqi, name="幸福里一期小区议事会")
        council3 = meeting_services.create_council(chair, place=building3, name="3号楼楼栋议事会")
        for user, office in ((wang, "chair"), (sun_teacher, "secretary"), (qian, "member")):
            meeting_services.set_council_member(chair, council3, user, office)

        evening = timezone.localtime().replace(hour=19, minute=0, second=0, microsecond=0)
        elevator = Topic.objects.get(community=community, title="3号楼2单元加装电梯")
        hearing = meeting_services.schedule_meeting(
            chair,
            place=building3,
            entrance="2",
            kind=Meeting.Kind.HEARING,
            mode=Meeting.Mode.HYBRID,
            title="听证会：3号楼2单元加装电梯方案",
            description="听取本单元住户对加装电梯方案的意见，设计单位现场答疑，随后业主表决。"
            "不能到场的住户可在手机上参加、发言和表决。",
            starts_at=evening + dt.timedelta(days=7),
            ends_at=evening + dt.timedelta(days=7, hours=2),
            venue="幸福里社区活动室（一期会所二楼）",
            registration_limit=60,
            speaking_seconds=180,
            chair=chair,
            secretary=sun_teacher,
            council=council3,
        )
        poll = Poll.objects.get(title=ELEVATOR_POLL)
        for title, description, item_poll in (
            ("主持人说明听证规则", "发言按登记顺序，每人三分钟；程序问题优先。", None),
            ("设计单位介绍加装电梯方案", "井道位置、采光和噪声影响、施工周期。", None),
            ("登记发言人陈述意见", "支持、反对和中立的住户依次陈述。", None),
            ("业主表决", "是否同意加装电梯并使用维修资金，按业主特别表决规则计票。", poll),
        ):
            meeting_services.add_agenda_item(
                chair, hearing, title=title, description=description, topic=elevator, poll=item_poll
            )
        for user, stance, statement in (
            (wang, "for", "单元里七十岁以上的老人十多位，加装电梯是大家盼了多年的事。"),
            (zhao, "against", "我住一楼，井道挡在窗前，采光和噪声的补偿要先说清楚。"),
            (wu, "neutral", "希望分摊比例在表决前公示，二楼的分摊要合理。"),
        ):
            meeting_services.register(
                user, hearing, wants_to_speak=True, stance=stance, statement=statement
            )
        for user in (qian, zhou):
            meeting_services.register(user, hearing)

        self._past_council_meeting(building2, feng)

    def _past_council_meeting(self, building: Building, chair: User) -> None:
        """A 2号楼 council meeting run through the room: comments, speakers, two items,
        then closed and its minutes published."""
        council = meeting_services.create_council(
            User.objects.get(phone=STAFF[0][0]), place=building, name="2号楼楼栋议事会"
        )
        meeting_services.set_council_member(
            User.objects.get(phone=STAFF[0][0]), council, chair, "chair"
        )
        neighbours = self._crowd(building)[:4]
        meeting = meeting_services.schedule_meeting(
            User.objects.get(phone=STAFF[0][0]),
            place=building,
            kind=Meeting.Kind.COUNCIL_MEETING,
            mode=Meeting.Mode.HYBRID,
            title="2号楼楼栋议事会：楼道堆物清理",
            starts_at=timezone.now() + dt.timedelta(minutes=1),
            venue="2号楼1单元门厅",
            chair=chair,
            council=council,
        )
        for title in ("楼道堆物清理方案", "电动车停放与充电"):
            meeting_services.add_agenda_item(chair, meeting, title=title)
        room.open_meeting(chair, meeting)
        room.next_item(chair, meeting)
        lines = ("楼道里的旧柜子堵了消防通道，得尽快清。", "清理前贴个通知，给大家一周时间。")
        for user, text in zip(neighbours, lines, strict=False):
            room.post_comment(user, meeting, text)
        for user in neighbours[:2]:
            room.raise_hand(user, meeting)
        room.give_floor(chair, meeting)
        room.give_floor(chair, meeting)
        room.end_floor(chair, meeting)
        room.next_item(chair, meeting)
        room.post_comment(neighbours[0], meeting, "电动车别再推上楼充电了，太危险。")
        room.close_meeting(chair, meeting)
        meeting.refresh_from_db()
        meeting_services.publish_minutes(chair, meeting.minutes)

    def _pacts(self, community: Community, staff: dict[str, User], rng: random.Random) -> None:
        """The community's resident pact, adopted by the households; and 幸福里一期's house
        rules, open for amendments, with amendments in every state."""
        if Pact.objects.filter(community=community).exists():
            return
        self._resident_pact(community, staff["张主任"], rng)
        self._house_rules(community, staff["刘委员"], rng)

    def _resident_pact(self, community: Community, chair: User, rng: random.Random) -> None:
        council = Council.objects.get(community=community, name="幸福里社区居民议事会")
        pact = pact_services.create_pact(
            chair,
            kind=Pact.Kind.RESIDENT_PACT,
            title="幸福里社区居民公约",
            place=community,
            committee=council,
            summary="社区居民共同遵守的行为约定，由社区居民议事会起草，经居民会议通过。",
            preamble="为建设和谐、文明、美丽的幸福里社区，经全体居民讨论，制定本公约。",
            articles=[ArticleInput(text, heading) for heading, text in RESIDENT_PACT],
        )
        pact_services.open_amendments(
            chair, pact, closes_at=timezone.now() + dt.timedelta(days=1), summary="征求意见稿"
        )
        crowd = self._crowd(community)
        kept = pact_services.propose_amendment(
            crowd[0],
            pact,
            article_key=3,
            kind="replace",
            heading="环境卫生",
            text="爱护公共环境，垃圾分类投放，不乱扔杂物，不在楼道堆放物品，不占用消防通道。",
            rationale="楼道堆物和占用消防通道是安全隐患，应当写进公约。",
        )
        refused = pact_services.propose_amendment(
            crowd[1],
            pact,
            article_key=5,
            kind="delete",
            rationale="移风易俗是个人的事，不必写进公约。",
        )
        for user in crowd[2:9]:
            pact_services.take_position(user, kept, "support")
        pact_services.take_position(crowd[9], refused, "support")
        for user in crowd[10:14]:
            pact_services.take_position(user, refused, "oppose")
        pact_services.decide_amendment(chair, kept, accept=True, reason="采纳，与消防要求一致。")
        pact_services.decide_amendment(
            chair, refused, accept=False, reason="红白喜事从简是多数居民的意见，予以保留。"
        )
        pact_services.consolidate(chair, pact)
        version = pact_services.start_vote(chair, pact, summary="采纳一条修正案：环境卫生条款")
        poll = version.poll
        question = poll.questions.get()
        options = {o.code: o.pk for o in question.options.all()}
        entries = list(poll.roll.entries.order_by("pk"))
        for entry in entries[: len(entries) * 2 // 3]:
            choice = rng.choice(["yes"] * 8 + ["no", "abstain"])
            poll_services.enter_paper_ballot(chair, poll, entry, {question.pk: options[choice]})
        poll_services.close_poll(chair, poll)
        poll_services.publish_result(chair, poll)

    def _house_rules(self, community: Community, owners_chair: User, rng: random.Random) -> None:
        named = {u.phone: u for u in User.objects.filter(phone__startswith="+86138")}
        qian, sun_teacher, zhou, zhao, wu, feng = (named[p] for p, *_ in NEIGHBOURS)
        yiqi = community.compounds.get(name="幸福里一期")
        council = Council.objects.get(community=community, name="幸福里一期小区议事会")
        for user, office in ((owners_chair, "chair"), (sun_teacher, "secretary"), (qian, "member")):
            meeting_services.set_council_member(owners_chair, council, user, office)
        pact = pact_services.create_pact(
            owners_chair,
            kind=Pact.Kind.HOUSE_RULES,
            title="幸福里一期小区家规",
            place=yiqi,
            committee=council,
            summary="养宠、停车、垃圾分类、噪声和物业费，大家的事大家定。征求意见期间，"
            "一期的居民都可以对每一条提出修改、增补或删除的意见。",
            preamble="为维护幸福里一期的居住秩序，营造整洁、安宁、和睦的居住环境，"
            "全体业主和住户共同约定本家规。",
            articles=[
                ArticleInput(text, heading, chapter) for chapter, heading, text in HOUSE_RULES
            ],
        )
        pact_services.open_amendments(
            owners_chair,
            pact,
            closes_at=timezone.now() + dt.timedelta(days=14),
            summary="征求意见稿",
        )
        keys = {a.heading: a.key for a in pact_services.latest_published(pact).articles.all()}
        crowd = self._crowd(yiqi)
        accepted = pact_services.propose_amendment(
            wu,
            pact,
            article_key=keys["停车"],
            kind="replace",
            heading="停车",
            text="机动车按车位停放，不占用消防通道和绿地；临时停车不超过两小时，"
            "夜间二十二时后不在主干道停放。",
            rationale="晚上主干道两边停满车，消防车和救护车进不来。",
        )
        inserted = pact_services.propose_amendment(
            feng,
            pact,
            article_key=keys["垃圾分类"],
            kind="insert_after",
            heading="电动车",
            text="电动自行车停放在指定车棚充电，不推入电梯和楼道，不私拉电线“飞线充电”。",
            rationale="楼道充电起火的事故太多了，应当单列一条。",
        )
        rejected = pact_services.propose_amendment(
            zhao,
            pact,
            article_key=keys["物业费"],
            kind="delete",
            rationale="物业服务不到位，家规不该要求按时交费。",
        )
        withdrawn = pact_services.propose_amendment(
            zhou,
            pact,
            article_key=keys["垃圾分类"],
            kind="replace",
            heading="垃圾分类",
            text="生活垃圾分类投放，每日早七点到九点、晚六点到八点定时投放。",
            rationale="定时投放便于管理。",
        )
        waiting = pact_services.propose_amendment(
            qian,
            pact,
            article_key=keys["噪声"],
            kind="replace",
            heading="噪声",
            text="装修施工限于工作日八时至十二时、十四时至十八时，节假日不得进行产生噪声的施工；"
            "晚二十二时至次日七时，不得在室内外制造干扰邻居休息的噪声。",
            rationale="周末装修太吵，老人孩子休息不好。",
        )
        for amendment, supporters, opponents in (
            (accepted, 9, 2),
            (inserted, 12, 0),
            (rejected, 1, 8),
            (waiting, 6, 3),
        ):
            sample = rng.sample(crowd, supporters + opponents)
            for user in sample[:supporters]:
                pact_services.take_position(user, amendment, "support")
            for user in sample[supporters:]:
                pact_services.take_position(user, amendment, "oppose")
        pact_services.comment_on_amendment(
            crowd[0], waiting, "赞成，楼上周六早上七点就开始砸墙了。"
        )
        pact_services.comment_on_amendment(
            crowd[1], rejected, "物业服务的问题应当通过业委会监督解决，和交费是两回事。"
        )
        pact_services.withdraw_amendment(zhou, withdrawn)
        pact_services.decide_amendment(
            owners_chair, accepted, accept=True, reason="采纳，已与物业核实主干道夜间停车问题。"
        )
        pact_services.decide_amendment(owners_chair, inserted, accept=True)
        pact_services.decide_amendment(
            owners_chair,
            rejected,
            accept=False,
            reason="交纳物业费是业主的法定义务（民法典第九百四十四条）；服务质量问题另行协商解决。",
        )

    def _crowd(self, place) -> list[User]:
        """The demo crowd's verified members in a compound or building, in the order they
        signed up."""
        if isinstance(place, Community):
            field = "dwelling__building__compound__community"
        elif isinstance(place, Building):
            field = "dwelling__building"
        else:
            field = "dwelling__building__compound"
        memberships = (
            Membership.objects.filter(
                status=Membership.Status.VERIFIED,
                user__phone__startswith="+86137",
                **{field: place},
            )
            .select_related("user")
            .order_by("pk")
        )
        return list(dict.fromkeys(m.user for m in memberships))

    def _propose(
        self, user: User, entry, place, title: str, body: str, entrance: str = "", signers=()
    ) -> Topic:
        topic = topic_services.save_draft(
            user,
            catalog_entry=entry,
            scope=topic_services.scope_key(place, entrance),
            title=title,
            body=body,
        )
        topic_services.propose(user, topic)
        for signer in signers:
            topic_services.sign(signer, topic)
        topic.refresh_from_db()
        return topic

    def _discuss(self, topic: Topic, threads) -> None:
        """Comments, each with its replies: (author, stance, text, [(author, stance, text)])."""
        for author, stance, text, replies in threads:
            comment = topic_services.post_comment(author, topic, text=text, stance=stance)
            for reply_author, reply_stance, reply_text in replies:
                topic_services.post_comment(
                    reply_author, topic, text=reply_text, stance=reply_stance, parent=comment
                )

    def _carry_out(
        self, chair: User, manager: User, topic: Topic, *, meeting, resolution, progress
    ) -> None:
        """From the committee's queue to a resolution the property company carries out."""
        if topic.status == Topic.Status.PROPOSED:
            topic_services.accept(chair, topic)
        note, when = meeting
        topic_services.schedule(chair, topic, note=note, scheduled_for=when)
        topic_services.mark_deliberated(chair, topic)
        topic_services.resolve(chair, topic, resolution=resolution)
        topic_services.start_implementation(
            chair,
            topic,
            responsible=Topic.Responsible.PROPERTY_COMPANY,
            responsible_name="幸福里物业服务中心",
        )
        for text in progress:
            topic_services.post_progress(manager, topic, text)
