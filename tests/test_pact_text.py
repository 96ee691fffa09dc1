"""The text of a pact: Chinese article numbers, splitting a pasted text into articles,
and the differences between two versions, by character and by article."""

import random

import pytest
from django.utils import translation
from django.utils.safestring import SafeString

from deliberation.pact_text import (
    SHORT_EQUAL,
    ArticleText,
    Op,
    article_diff,
    article_label,
    chapter_label,
    char_diff,
    chinese_numeral,
    parse_numeral,
    render_ops_html,
    split,
    summary,
)


@pytest.fixture(autouse=True)
def _english():
    """Warnings are compared with their English msgids, whatever the site's language."""
    with translation.override("en"):
        yield


# ---------------------------------------------------------------------------- numerals

NUMERALS = {
    1: "一",
    2: "二",
    9: "九",
    10: "十",
    11: "十一",
    19: "十九",
    20: "二十",
    21: "二十一",
    99: "九十九",
    100: "一百",
    101: "一百零一",
    110: "一百一十",
    111: "一百一十一",
    200: "二百",
    1000: "一千",
    1001: "一千零一",
    1010: "一千零一十",
    1100: "一千一百",
    2024: "二千零二十四",
    9999: "九千九百九十九",
}


@pytest.mark.parametrize(("n", "written"), NUMERALS.items())
def test_chinese_numeral_writes_numbers_as_legal_texts_do(n, written):
    assert chinese_numeral(n) == written


@pytest.mark.parametrize("n", [0, -1, 10000, 1.0, "3", True])
def test_chinese_numeral_refuses_what_is_not_an_article_number(n):
    with pytest.raises(ValueError):
        chinese_numeral(n)


def test_every_numeral_reads_back_as_its_number():
    assert all(parse_numeral(chinese_numeral(n)) == n for n in range(1, 10000))


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("3", 3),
        ("12", 12),
        ("１２", 12),
        ("０７", 7),
        ("一十", 10),
        ("一十一", 11),
        ("两百", 200),
        ("两千零二十四", 2024),
        ("一百〇一", 101),
        ("一〇一", 101),
        ("二〇二四", 2024),
        ("零", 0),
        ("〇", 0),
        (" 十一\u3000", 11),
    ],
)
def test_parse_numeral_reads_arabic_digits_and_common_variants(text, number):
    assert parse_numeral(text) == number


@pytest.mark.parametrize(
    "text", ["", "条", "十十", "百", "一百一", "一百零", "二十两", "两", "3a", "三.5", "一万", "-1"]
)
def test_parse_numeral_gives_none_for_what_is_not_a_numeral(text):
    assert parse_numeral(text) is None


def test_labels_cite_articles_and_chapters_in_chinese_numerals():
    assert article_label(1) == "第一条"
    assert article_label(11) == "第十一条"
    assert article_label(101) == "第一百零一条"
    assert chapter_label(2) == "第二章"
    with pytest.raises(ValueError):
        article_label(0)


# ---------------------------------------------------------------------------- splitting

HOUSE_RULES = """\
阳光花园小区家规

为维护小区公共秩序，营造整洁、安全、和睦的居住环境，经业主大会讨论，制定本家规。

第一章 总则
第一条【宗旨】为规范本小区业主、住户的行为，根据有关法律法规，制定本家规。
第二条 本家规适用于本小区全体业主、住户。违反本家规第三条规定的，由业主委员会劝导改正。

第二章 共同生活
第三条【养犬】饲养犬只应当依法登记，出户时束犬链并由成年人牵领。
犬只在公共区域排泄的，饲养人应当立即清除。
第四条【停车】机动车应当停放在划定的车位内，不得占用消防通道。
第五条【垃圾分类】生活垃圾应当分类投放到指定的收集点。
第六条【噪声】每日22时至次日7时，不得从事产生噪声的装修和娱乐活动。

第三章 附则
第七条【物业费】业主应当按时交纳物业服务费，每月每平方米一元五角。
第八条 本家规自业主大会通过之日起施行。
"""


def test_house_rules_split_into_preamble_chapters_and_articles():
    result = split(HOUSE_RULES)

    assert result.preamble == (
        "阳光花园小区家规\n\n为维护小区公共秩序，营造整洁、安全、和睦的居住环境，"
        "经业主大会讨论，制定本家规。"
    )
    assert [(c.number_as_written, c.title) for c in result.chapters] == [
        (1, "总则"),
        (2, "共同生活"),
        (3, "附则"),
    ]
    assert [(a.number_as_written, a.heading, a.chapter) for a in result.articles] == [
        (1, "宗旨", 0),
        (2, "", 0),
        (3, "养犬", 1),
        (4, "停车", 1),
        (5, "垃圾分类", 1),
        (6, "噪声", 1),
        (7, "物业费", 2),
        (8, "", 2),
    ]
    assert result.articles[2].text == (
        "饲养犬只应当依法登记，出户时束犬链并由成年人牵领。\n"
        "犬只在公共区域排泄的，饲养人应当立即清除。"
    )
    assert result.warnings == []


def test_a_reference_to_an_article_inside_a_sentence_is_not_a_marker():
    result = split(HOUSE_RULES)

    assert result.articles[1].text == (
        "本家规适用于本小区全体业主、住户。违反本家规第三条规定的，由业主委员会劝导改正。"
    )


def test_a_reference_that_happens_to_open_a_line_is_not_a_marker():
    result = split(
        "第一条 饲养犬只的，应当遵守下列规定，违反本家规\n"
        "第三条规定的，由物业劝导。\n"
        "第五条至第七条另有规定的除外。\n"
        "第二条 本家规自通过之日起施行。"
    )

    assert [a.number_as_written for a in result.articles] == [1, 2]
    assert result.articles[0].text.splitlines() == [
        "饲养犬只的，应当遵守下列规定，违反本家规",
        "第三条规定的，由物业劝导。",
        "第五条至第七条另有规定的除外。",
    ]


def test_arabic_and_full_width_article_numbers_are_markers():
    result = split("第1条 禁止高空抛物。\n第 2 条：车辆限速5公里。\n第３条、按时交费。")

    assert [(a.number_as_written, a.text) for a in result.articles] == [
        (1, "禁止高空抛物。"),
        (2, "车辆限速5公里。"),
        (3, "按时交费。"),
    ]
    assert result.warnings == []


def test_windows_line_endings_full_width_spaces_and_a_byte_order_mark_are_handled():
    text = (
        "\ufeff居民公约\r\n\r\n"
        "\u3000\u3000第一条\u3000爱护公共设施。\r\n"
        "\u3000\u3000不得损坏健身器材。\r\n"
        "\r\n\r\n\r\n"
        "\u3000\u3000第二条：邻里和睦。\r"
    )
    result = split(text)

    assert result.preamble == "居民公约"
    assert [a.text for a in result.articles] == ["爱护公共设施。\n不得损坏健身器材。", "邻里和睦。"]
    assert result.warnings == []


def test_blank_lines_inside_an_article_are_kept_once():
    result = split("第一条 第一款内容。\n\n\n\n第二款内容。\n\n第二条 其他。")

    assert result.articles[0].text == "第一款内容。\n\n第二款内容。"


@pytest.mark.parametrize(
    ("first_line", "heading", "text"),
    [
        ("第一条【养犬】饲养犬只应当登记。", "养犬", "饲养犬只应当登记。"),
        ("第一条（养犬）饲养犬只应当登记。", "养犬", "饲养犬只应当登记。"),
        ("第一条 [养犬] 饲养犬只应当登记。", "养犬", "饲养犬只应当登记。"),
        ("第一条 饲养犬只应当登记。", "", "饲养犬只应当登记。"),
        ("第一条 （一）饲养犬只应当登记。", "", "（一）饲养犬只应当登记。"),
    ],
)
def test_a_heading_in_brackets_is_taken_from_the_first_line(first_line, heading, text):
    article = split(first_line).articles[0]

    assert (article.heading, article.text) == (heading, text)


def test_a_short_line_of_its_own_after_the_marker_is_a_heading():
    result = split("第一条 物业费\n业主应当按时交纳物业费。\n第二条 本公约自通过之日起施行。")

    assert (result.articles[0].heading, result.articles[0].text) == (
        "物业费",
        "业主应当按时交纳物业费。",
    )
    assert (result.articles[1].heading, result.articles[1].text) == ("", "本公约自通过之日起施行。")


def test_a_chapter_title_on_the_line_after_its_marker_is_its_title():
    result = split("第一章\n\n总则\n第一条 为了和睦，制定本公约。")

    assert result.chapters[0].title == "总则"
    assert result.articles[0].chapter == 0
    assert result.warnings == []


def test_articles_before_the_first_chapter_belong_to_none():
    result = split("第一条 序。\n第二章 停车\n第二条 车停车位内。")

    assert [a.chapter for a in result.articles] == [None, 0]


def test_without_chapters_articles_have_no_chapter():
    result = split("第一条 爱护绿地。\n第二条 文明养犬。")

    assert result.chapters == []
    assert [a.chapter for a in result.articles] == [None, None]


def test_text_without_markers_is_all_preamble_with_a_warning():
    text = "小区养犬须知\n\n一、出户牵绳。\n二、及时清理粪便。"
    result = split(text)

    assert result.preamble == text
    assert result.articles == []
    assert result.chapters == []
    assert result.warnings == [
        "No article marker (第一条, 第二条, …) was found: the whole text is kept as the preamble."
    ]


def test_a_gap_in_the_numbering_is_warned_about():
    result = split("第一条 甲。\n第二条 乙。\n第三条 丙。\n第五条 丁。")

    assert len(result.articles) == 4
    assert result.warnings == ["The text jumps from article 3 to article 5."]


def test_a_repeated_number_is_warned_about():
    result = split("第一条 甲。\n第二条 乙。\n第二条 丙。\n第三条 丁。")

    assert len(result.articles) == 4
    assert result.warnings == ["The text repeats article 2."]


def test_numbering_that_goes_back_or_does_not_start_at_one_is_warned_about():
    result = split("第三条 甲。\n第四条 乙。\n第二条 丙。")

    assert result.warnings == [
        "The text starts at article 3, not article 1.",
        "Article 2 comes after article 4.",
    ]


def test_an_article_numbered_zero_is_warned_about_as_a_wrong_start():
    result = split("第〇条 甲。\n第一条 乙。")

    assert result.warnings == ["The text starts at article 0, not article 1."]


def test_an_empty_article_is_kept_and_warned_about():
    result = split("第一条 甲。\n第二条\n\n第三条 丙。")

    assert [a.text for a in result.articles] == ["甲。", "", "丙。"]
    assert result.warnings == ["Article 2 is empty."]


def test_an_article_number_that_cannot_be_read_is_still_an_article():
    result = split("第一条 甲。\n第一百一条 乙。")

    assert [(a.number_as_written, a.text) for a in result.articles] == [(1, "甲。"), (None, "乙。")]
    assert result.warnings == ["The number in “第一百一条 乙。” could not be read."]


def test_text_between_a_chapter_title_and_its_first_article_is_warned_about():
    result = split("第一章 总则\n本章规定一般事项。\n第一条 甲。")

    assert result.articles[0].text == "甲。"
    assert result.warnings == [
        "The text under chapter “总则” before its first article belongs to no article and "
        "was left out: “本章规定一般事项。”"
    ]


def test_a_chapter_without_articles_is_warned_about():
    result = split("第一章 总则\n第二章 附则\n第一条 甲。")

    assert result.warnings == ["Chapter “总则” has no articles."]


# ---------------------------------------------------------------------------- char_diff

PACT_EDITS = [
    (
        "饲养犬只应当依法登记，出户时束犬链。",
        "饲养犬只应当依法登记并免疫，出户时束犬链，由成年人牵领。",
    ),
    ("机动车应当停放在划定的车位内。", "机动车和电动车应当停放在划定的车位内，不得占用消防通道。"),
    ("每日22时至次日7时不得装修。", "每日21时30分至次日8时不得装修，节假日全天不得装修。"),
    ("业主每月交纳物业费三百元。", "业主每季度交纳物业费九百元。"),
    ("生活垃圾应当分类投放。", "生活垃圾应当按可回收物、有害垃圾、厨余垃圾和其他垃圾分类投放。"),
    ("禁止高空抛物。", ""),
    ("", "禁止在楼道内堆放杂物。"),
    ("第一款。\n第二款。", "第一款。\n新增一款。\n第二款。"),
    ("<script>alert(1)</script>", "<b>粗体</b>"),
    ("相同的文字。", "相同的文字。"),
]


def _random_texts(count: int) -> list[tuple[str, str]]:
    """Pairs of texts over a few characters, so that they share many and differ often."""
    rng = random.Random(20240607)
    alphabet = "犬车费声垃圾，。\n"
    return [
        (
            "".join(rng.choices(alphabet, k=rng.randint(0, 30))),
            "".join(rng.choices(alphabet, k=rng.randint(0, 30))),
        )
        for _ in range(count)
    ]


CASES = PACT_EDITS + _random_texts(500)


@pytest.mark.parametrize(("old", "new"), CASES)
def test_char_diff_rebuilds_both_texts(old, new):
    ops = char_diff(old, new)

    assert "".join(op.text for op in ops if op.kind != "insert") == old
    assert "".join(op.text for op in ops if op.kind != "delete") == new


@pytest.mark.parametrize(("old", "new"), CASES)
def test_char_diff_runs_are_merged_and_never_empty(old, new):
    ops = char_diff(old, new)

    assert all(op.text for op in ops)
    assert all(a.kind != b.kind for a, b in zip(ops, ops[1:], strict=False))
    assert all(
        (a.kind, b.kind) != ("insert", "delete") for a, b in zip(ops, ops[1:], strict=False)
    ), "in a change the deletion comes first"


@pytest.mark.parametrize(("old", "new"), CASES)
def test_char_diff_leaves_no_short_unchanged_island_between_changes(old, new):
    ops = char_diff(old, new)

    for before, between, after in zip(ops, ops[1:], ops[2:], strict=False):
        if between.kind == "equal" and "equal" not in (before.kind, after.kind):
            assert len(between.text) > SHORT_EQUAL, ops


def test_char_diff_of_a_changed_fee_reads_as_whole_phrases():
    assert char_diff("业主每月交纳物业费三百元。", "业主每季度交纳物业费九百元。") == [
        Op("equal", "业主每"),
        Op("delete", "月"),
        Op("insert", "季度"),
        Op("equal", "交纳物业费"),
        Op("delete", "三"),
        Op("insert", "九"),
        Op("equal", "百元。"),
    ]


def test_char_diff_folds_a_one_character_island_into_the_change_around_it():
    # Without folding, the 时 shared by 22时 and 21时30分 would stand alone between changes.
    ops = char_diff("每日22时至次日7时", "每日21时30分至次日8时")

    assert ops == [
        Op("equal", "每日2"),
        Op("delete", "2时"),
        Op("insert", "1时30分"),
        Op("equal", "至次日"),
        Op("delete", "7"),
        Op("insert", "8"),
        Op("equal", "时"),
    ]


def test_char_diff_keeps_an_unchanged_phrase_longer_than_two_characters():
    ops = char_diff("禁止在楼道内堆放杂物", "禁止在楼道和电梯内堆放杂物及电动车")

    assert ops == [
        Op("equal", "禁止在楼道"),
        Op("insert", "和电梯"),
        Op("equal", "内堆放杂物"),
        Op("insert", "及电动车"),
    ]


def test_char_diff_of_equal_texts_is_one_equal_run_and_of_empty_texts_nothing():
    assert char_diff("出户牵绳。", "出户牵绳。") == [Op("equal", "出户牵绳。")]
    assert char_diff("", "") == []
    assert char_diff("", "新") == [Op("insert", "新")]
    assert char_diff("旧", "") == [Op("delete", "旧")]


# ---------------------------------------------------------------------------- article_diff

PETS = ArticleText(1, "饲养犬只应当依法登记。", "养犬", "共同生活")
PARKING = ArticleText(2, "机动车应当停放在车位内。", "停车", "共同生活")
GARBAGE = ArticleText(3, "生活垃圾应当分类投放。", "垃圾分类", "共同生活")
NOISE = ArticleText(4, "夜间不得装修。", "噪声", "共同生活")
FEES = ArticleText(5, "业主应当按时交纳物业费。", "物业费", "附则")
V1 = [PETS, PARKING, GARBAGE, NOISE, FEES]


def rows(changes):
    return [(c.status, c.key, c.old_number, c.new_number) for c in changes]


def test_identical_versions_are_all_unchanged():
    changes = article_diff(V1, V1)

    assert rows(changes) == [("unchanged", k, k, k) for k in range(1, 6)]
    assert changes[0].ops == [Op("equal", PETS.text)]
    assert changes[0].heading == "养犬"
    assert changes[0].chapter == "共同生活"


def test_an_inserted_article_renumbers_the_ones_after_it_without_changing_them():
    charging = ArticleText(6, "电动车应当在充电桩充电，不得飞线充电。", "充电")
    changes = article_diff(V1, [PETS, PARKING, charging, GARBAGE, NOISE, FEES])

    assert rows(changes) == [
        ("unchanged", 1, 1, 1),
        ("unchanged", 2, 2, 2),
        ("inserted", 6, None, 3),
        ("unchanged", 3, 3, 4),
        ("unchanged", 4, 4, 5),
        ("unchanged", 5, 5, 6),
    ]
    assert changes[2].ops == [Op("insert", charging.text)]
    assert changes[2].heading_ops == [Op("insert", "充电")]


def test_a_deleted_article_stands_where_it_was_and_the_ones_after_it_move_up():
    changes = article_diff(V1, [PETS, PARKING, NOISE, FEES])

    assert rows(changes) == [
        ("unchanged", 1, 1, 1),
        ("unchanged", 2, 2, 2),
        ("deleted", 3, 3, None),
        ("unchanged", 4, 4, 3),
        ("unchanged", 5, 5, 4),
    ]
    assert changes[2].ops == [Op("delete", GARBAGE.text)]
    assert changes[2].heading == "垃圾分类"


def test_deleted_first_and_last_articles_stay_at_the_start_and_the_end():
    changes = article_diff(V1, [PARKING, GARBAGE, NOISE])

    assert rows(changes) == [
        ("deleted", 1, 1, None),
        ("unchanged", 2, 2, 1),
        ("unchanged", 3, 3, 2),
        ("unchanged", 4, 4, 3),
        ("deleted", 5, 5, None),
    ]


def test_consecutive_deletions_keep_their_old_order_before_an_insertion_in_their_place():
    rules = ArticleText(7, "违反本家规的，由业主委员会劝导。")
    changes = article_diff(V1, [PETS, rules, FEES])

    assert rows(changes) == [
        ("unchanged", 1, 1, 1),
        ("deleted", 2, 2, None),
        ("deleted", 3, 3, None),
        ("deleted", 4, 4, None),
        ("inserted", 7, None, 2),
        ("unchanged", 5, 5, 3),
    ]


def test_a_changed_article_carries_its_character_differences():
    stricter = ArticleText(1, "饲养犬只应当依法登记并免疫。", "养犬")
    changes = article_diff(V1, [stricter, PARKING, GARBAGE, NOISE, FEES])

    assert rows(changes)[0] == ("changed", 1, 1, 1)
    assert changes[0].ops == [
        Op("equal", "饲养犬只应当依法登记"),
        Op("insert", "并免疫"),
        Op("equal", "。"),
    ]
    assert [c.status for c in changes[1:]] == ["unchanged"] * 4


def test_a_new_heading_alone_makes_an_article_changed():
    renamed = ArticleText(1, PETS.text, "饲养宠物")
    changes = article_diff(V1, [renamed, PARKING, GARBAGE, NOISE, FEES])

    assert changes[0].status == "changed"
    assert changes[0].ops == [Op("equal", PETS.text)]
    assert changes[0].heading_ops == [
        Op("delete", "养犬"),
        Op("insert", "饲养宠物"),
    ]


def test_an_article_taken_elsewhere_is_moved_and_the_others_are_not():
    quieter = ArticleText(4, "夜间22时后不得装修。", "噪声")
    changes = article_diff(V1, [PETS, quieter, PARKING, GARBAGE, FEES])

    assert rows(changes) == [
        ("unchanged", 1, 1, 1),
        ("moved", 4, 4, 2),
        ("unchanged", 2, 2, 3),
        ("unchanged", 3, 3, 4),
        ("unchanged", 5, 5, 5),
    ]
    assert changes[1].ops == [
        Op("equal", "夜间"),
        Op("insert", "22时后"),
        Op("equal", "不得装修。"),
    ]


def test_two_swapped_articles_show_one_move():
    changes = article_diff([PETS, PARKING], [PARKING, PETS])

    assert sorted(c.status for c in changes) == ["moved", "unchanged"]
    assert [c.new_number for c in changes] == [1, 2]


def test_a_repeated_key_is_refused():
    with pytest.raises(ValueError):
        article_diff([PETS, PETS], V1)
    with pytest.raises(ValueError):
        article_diff(V1, [PETS, ArticleText(1, "另一条。")])


def test_summary_counts_every_status():
    stricter = ArticleText(1, "饲养犬只应当依法登记并免疫。", "养犬")
    charging = ArticleText(6, "不得飞线充电。")
    changes = article_diff(V1, [stricter, FEES, PARKING, charging, GARBAGE])

    assert summary(changes) == {
        "unchanged": 2,
        "changed": 1,
        "inserted": 1,
        "deleted": 1,
        "moved": 1,
    }
    assert summary([]) == dict.fromkeys(["unchanged", "changed", "inserted", "deleted", "moved"], 0)


def test_comparing_with_nothing_shows_every_article_inserted_or_deleted():
    assert [c.status for c in article_diff([], V1)] == ["inserted"] * 5
    assert [c.status for c in article_diff(V1, [])] == ["deleted"] * 5


# ---------------------------------------------------------------------------- rendering


def test_rendering_marks_changes_for_eyes_and_screen_readers():
    html = render_ops_html(
        [Op("equal", "每"), Op("delete", "月"), Op("insert", "季度"), Op("equal", "交纳")]
    )

    assert isinstance(html, SafeString)
    assert html == (
        "每"
        '<del><span class="visually-hidden">[deletion start] </span>月'
        '<span class="visually-hidden"> [deletion end]</span></del>'
        '<ins><span class="visually-hidden">[insertion start] </span>季度'
        '<span class="visually-hidden"> [insertion end]</span></ins>'
        "交纳"
    )


def test_rendering_escapes_every_text():
    html = render_ops_html(
        [Op("equal", "<b>"), Op("delete", "&旧"), Op("insert", '<script>alert("x")</script>')]
    )

    assert html.startswith("&lt;b&gt;<del>")
    assert "&amp;旧" in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<script>" not in html and "<b>" not in html
    assert html.count("<ins>") == html.count("</ins>") == 1
    assert html.count("<del>") == html.count("</del>") == 1


def test_rendering_nothing_is_empty():
    assert render_ops_html([]) == ""
