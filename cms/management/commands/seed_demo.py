"""The demo community with its pages: deliberation's `seed_demo` (places, people, polls),
then notices, a quarter of finance disclosures, a party-affairs and a residence-affairs
disclosure, and questions on them. cms comes before deliberation in INSTALLED_APPS, so
this command is the one `manage.py seed_demo` runs. Running it again changes nothing."""

import datetime as dt
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cms import services
from cms.models import (
    CommunityPage,
    DisclosureIndexPage,
    DisclosurePage,
    DisclosureQuestion,
    NoticeIndexPage,
    NoticePage,
)
from deliberation.management.commands import seed_demo
from deliberation.models import Building, Community, User


def _id() -> str:
    return str(uuid.uuid4())


def _paragraph(html: str) -> dict:
    return {"type": "paragraph", "value": html, "id": _id()}


def _line(direction, category, description, amount, voucher) -> dict:
    return {
        "type": "item",
        "value": {
            "direction": direction,
            "category": category,
            "description": description,
            "amount": amount,
            "voucher_number": voucher,
            "voucher": None,
        },
        "id": _id(),
    }


# month, income lines, expense lines: (category, description, amount, voucher)
FINANCE = [
    (
        7,
        [("上级拨付", "街道拨付社区办公经费（三季度）", "30000.00", "PZ-2026-07-001")],
        [
            ("办公经费", "打印纸、硒鼓等办公用品", "1280.50", "PZ-2026-07-002"),
            ("水电费", "社区党群服务中心7月水电费", "860.30", "PZ-2026-07-003"),
            ("公益活动", "“七一”党员志愿服务活动物资", "1650.00", "PZ-2026-07-004"),
        ],
    ),
    (
        8,
        [
            ("公益创投", "区民政局公益创投项目资金（垃圾分类宣传）", "15000.00", "PZ-2026-08-001"),
            ("公共收益", "幸福里一期停车场公共收益分成", "6400.00", "PZ-2026-08-002"),
        ],
        [
            ("垃圾分类", "分类垃圾桶、宣传展板制作", "5150.00", "PZ-2026-08-003"),
            ("水电费", "社区党群服务中心8月水电费", "1025.80", "PZ-2026-08-004"),
            ("办公经费", "会议室投影仪维修", "480.00", "PZ-2026-08-005"),
        ],
    ),
    (
        9,
        [("公共收益", "和平苑电梯广告位收益分成", "3600.00", "PZ-2026-09-001")],
        [
            ("公益活动", "重阳节慰问高龄老人（慰问品82份）", "3600.00", "PZ-2026-09-002"),
            ("水电费", "社区党群服务中心9月水电费", "790.60", "PZ-2026-09-003"),
            ("垃圾分类", "垃圾分类督导员补贴（3人×1个月）", "2700.00", "PZ-2026-09-004"),
            ("办公经费", "居民议事会会议茶水、打印", "356.00", "PZ-2026-09-005"),
        ],
    ),
]
OPENING_JULY = Decimal("12345.60")


class Command(seed_demo.Command):
    help = seed_demo.Command.help + " Adds its notices, disclosures and questions."

    def handle(self, *args, **options):
        super().handle(*args, **options)
        with transaction.atomic():
            community = Community.objects.get(name=seed_demo.COMMUNITY)
            home = services.provision_community(community)
            staff = {u.display_name: u for u in User.objects.filter(phone__startswith="+86139")}
            residents = {
                u.display_name: u for u in User.objects.filter(phone__startswith="+86138000000")
            }
            created = self._notices(home, community, staff["张主任"])
            created += self._disclosures(home, staff["张主任"], staff["周书记"], staff["陈监督"])
            self._questions(home, residents, staff["张主任"])
        if created:
            self.stdout.write(self.style.SUCCESS(f"{created} demo pages published."))

    def _publish(self, parent, page, author) -> bool:
        if parent.get_children().filter(title=page.title).exists():
            return False
        page.owner = author
        parent.add_child(instance=page)
        page.save_revision(user=author).publish(user=author)
        return True

    def _notices(self, home: CommunityPage, community: Community, author: User) -> int:
        index = NoticeIndexPage.objects.child_of(home).get()
        now = timezone.now()
        building = Building.objects.get(
            compound__community=community, compound__name="幸福里一期", name="3号楼"
        )
        notices = [
            NoticePage(
                title="关于小区停车位调整的通知",
                slug="parking-2026",
                compound=building.compound,
                pinned=True,
                valid_from=now - dt.timedelta(days=3),
                valid_until=now + dt.timedelta(days=27),
                body=(
                    "<p>各位业主、住户：</p><p>经幸福里一期居民议事会协商，自12月1日起，"
                    "东门内侧临时停车位调整为消防通道，原有12个车位迁至地下车库B区，"
                    "月租标准不变。请相关车主于11月30日前到物业服务中心办理变更。</p>"
                    "<p>如有意见，可在本平台“议题”中提出，或致电物业服务中心。</p>"
                ),
            ),
            NoticePage(
                title="紧急通知：3号楼2单元明日停水检修",
                slug="water-3-2",
                building=building,
                urgency=NoticePage.Urgency.URGENT,
                valid_from=now - dt.timedelta(hours=2),
                valid_until=now + dt.timedelta(days=2),
                body=(
                    "<p>因二次供水管道漏水，3号楼明日8:00至14:00停水检修。"
                    "请提前储水，关闭家中水龙头，以免来水时跑水。</p>"
                    "<p>行动不便的老人如需送水，请联系楼长。</p>"
                ),
            ),
            NoticePage(
                title="关于开展垃圾分类宣传周活动的通知",
                slug="sorting-week",
                valid_from=now - dt.timedelta(days=1),
                valid_until=now + dt.timedelta(days=6),
                body=(
                    "<p>社区将于本周六上午9:00在党群服务中心广场开展垃圾分类宣传活动，"
                    "现场可用分类正确的可回收物兑换生活用品。欢迎居民参加。</p>"
                ),
            ),
        ]
        return sum(self._publish(index, notice, author) for notice in notices)

    def _approved(self, parent, page, author, approver) -> bool:
        """Published as in real life: the editor submits, the supervisory committee approves."""
        if parent.get_children().filter(title=page.title).exists():
            return False
        page.owner = author
        page.live = False
        parent.add_child(instance=page)
        page.save_revision(user=author)
        state = page.get_workflow().start(page, author)
        task_state = state.current_task_state
        task_state.task.specific.on_action(task_state, approver, "approve")
        return True

    def _disclosures(self, home, editor, party_secretary, supervisor) -> int:
        index = DisclosureIndexPage.objects.child_of(home).get()
        created = 0
        opening = OPENING_JULY
        for month, income, expense in FINANCE:
            lines = [_line("income", *row) for row in income]
            lines += [_line("expense", *row) for row in expense]
            closing = (
                opening
                + sum(Decimal(row[2]) for row in income)
                - sum(Decimal(row[2]) for row in expense)
            )
            statement = {
                "title": f"2026年{month}月收支明细",
                "opening_balance": f"{opening:.2f}",
                "lines": lines,
                "closing_balance": f"{closing:.2f}",
            }
            page = DisclosurePage(
                title=f"幸福里社区2026年{month}月财务收支公开",
                slug=f"finance-2026-{month:02d}",
                category=DisclosurePage.Category.FINANCE,
                period_kind=DisclosurePage.PeriodKind.MONTH,
                year=2026,
                period_number=month,
                summary=f"社区居委会{month}月经费收支情况，经居务监督委员会审核。",
                body=[
                    _paragraph(
                        "<p>根据社区财务公开制度，现将本月收支明细公布如下，接受居民监督。</p>"
                    ),
                    {"type": "finance_statement", "value": statement, "id": _id()},
                ],
            )
            created += self._approved(index, page, editor, supervisor)
            opening = closing
        party = DisclosurePage(
            title="2026年第三季度党务公开",
            slug="party-2026-q3",
            category=DisclosurePage.Category.PARTY,
            period_kind=DisclosurePage.PeriodKind.QUARTER,
            year=2026,
            period_number=3,
            summary="社区党委第三季度组织生活、党员发展和党费收缴情况。",
            body=[
                {"type": "heading", "value": "组织生活", "id": _id()},
                _paragraph(
                    "<p>召开党委会3次、主题党日活动3次，“七一”组织党员志愿服务，"
                    "共86名党员参加。</p>"
                ),
                {"type": "heading", "value": "党员发展与党费", "id": _id()},
                _paragraph(
                    "<p>确定入党积极分子2名。第三季度应收党费4,326.00元，"
                    "实收4,326.00元，已全额上缴街道党工委。</p>"
                ),
            ],
        )
        created += self._approved(index, party, party_secretary, supervisor)
        relief = DisclosurePage(
            title="2026年第三季度居务公开：低保与临时救助",
            slug="residence-2026-q3",
            category=DisclosurePage.Category.RESIDENCE,
            period_kind=DisclosurePage.PeriodKind.QUARTER,
            year=2026,
            period_number=3,
            summary="本季度新增低保对象和临时救助名单（个人信息已按规定遮挡）。",
            body=[
                _paragraph(
                    "<p>经入户调查、民主评议和街道审核，以下对象纳入最低生活保障或获得临时救助。"
                    "公示期7天，如有异议请向居务监督委员会反映。</p>"
                ),
                {
                    "type": "table",
                    "value": {
                        "caption": "低保与临时救助名单",
                        "first_row_is_header": True,
                        "rows": [
                            ["姓名", "身份证号", "联系电话", "类别", "金额（元/月）"],
                            ["张*华", "230602********1234", "138****5678", "低保", "780.00"],
                            ["李*芳", "230602********2345", "139****1122", "低保", "780.00"],
                            [
                                "王*",
                                "230603********3456",
                                "137****9900",
                                "临时救助",
                                "2000.00（一次性）",
                            ],
                        ],
                    },
                    "id": _id(),
                },
            ],
        )
        created += self._approved(index, relief, editor, supervisor)
        return created

    def _questions(self, home, residents, answerer) -> None:
        july = DisclosurePage.objects.descendant_of(home).get(slug="finance-2026-07")
        august = DisclosurePage.objects.descendant_of(home).get(slug="finance-2026-08")
        if DisclosureQuestion.objects.filter(page__in=[july, august]).exists():
            return
        asked = services.ask_question(
            residents["王阿姨"], july, "7月“七一”志愿服务活动物资1650元，具体买了哪些东西？"
        )
        services.answer_question(
            answerer,
            asked,
            "主要是志愿者马甲40件（800元）、清洁工具和垃圾袋（520元）、饮用水和防暑药品（330元），"
            "凭证PZ-2026-07-004可在居委会查阅。",
        )
        late = services.ask_question(
            residents["小孙"], august, "停车场公共收益分成6400元是按什么比例计算的？"
        )
        # Asked ten days ago and not yet answered: shows how overdue questions look.
        DisclosureQuestion.objects.filter(pk=late.pk).update(
            asked_at=timezone.now() - dt.timedelta(days=10)
        )
