"""Build the demo community 幸福里社区. Running it again changes nothing."""

import random
from decimal import Decimal

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from deliberation.models import Community, Dwelling, Membership, Role, User
from deliberation.services import imports, people
from deliberation.services import polls as poll_services
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
ADMIN_PHONE = "+8613900000000"


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
        chair = None
        for phone, name, kind, compound_name, title in STAFF:
            user = self._user(phone, name)
            compound = compounds[compound_name] if compound_name else None
            people.grant_role(admin, user, kind, community, compound, title)
            chair = chair or user
        self._residents(community, chair, rng)
        self._polls(community, chair, rng)
        counts = {
            "dwellings": Dwelling.objects.filter(building__compound__community=community).count(),
            "verified": Membership.objects.filter(status="verified").count(),
            "pending": Membership.objects.filter(status="pending").count(),
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"{COMMUNITY}: {counts['dwellings']} dwellings, {counts['verified']} verified "
                f"and {counts['pending']} pending memberships."
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
            title="3号楼2单元加装电梯及使用维修资金",
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
            title="小区绿化改造方案评议",
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
        for phone, name, dwelling, kind, verified in named + crowd:
            if User.objects.filter(phone=phone).exists():
                continue
            user = User.objects.create_user(phone, display_name=name, phone_verified=True)
            membership = people.claim_dwelling(user, dwelling, kind)
            if verified:
                people.verify_membership(chair, membership)
