"""The personal-data guard: unmasked resident ID numbers and mobile numbers are found where
they are, masked in the agreed form, and keep a page from being saved or published."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.contrib.typed_table_block.blocks import TypedTableBlock
from wagtail.models import Page

from cms.models import HomePage
from cms.personal_data import (
    Finding,
    PersonalDataGuardMixin,
    find,
    mask,
    page_findings,
    refusal_message,
    stream_findings,
)

# Check character should be 8; a typo'd ID is still someone's ID.
ID_NUMBER = "230602199001011234"
ID_NUMBER_WITH_X = "11010519491231002X"
MOBILE = "13812345678"


def kinds(text: str) -> list[str]:
    return [finding.kind for finding in find(text)]


# Resident ID numbers


def test_eighteen_digit_id_number_is_found_with_its_position_and_masked_form():
    text = f"低保户张三，身份证号{ID_NUMBER}，住3号楼。"
    start = text.index(ID_NUMBER)
    assert find(text) == [Finding("id_number", start, start + 18, "230602********1234")]


def test_id_number_ending_in_x_is_found_in_either_case():
    assert find(ID_NUMBER_WITH_X)[0].masked == "110105********002X"
    assert find(ID_NUMBER_WITH_X.lower())[0].masked == "110105********002X"


def test_id_number_with_a_wrong_check_character_is_still_found():
    assert kinds(ID_NUMBER) == ["id_number"]


def test_seventeen_and_nineteen_digit_runs_are_not_id_numbers():
    assert find(ID_NUMBER[:17]) == []
    assert find(ID_NUMBER + "5") == []
    assert find("9" + ID_NUMBER) == []
    assert find(ID_NUMBER_WITH_X[:16] + "X") == []


def test_x_only_counts_as_the_last_character():
    assert find("2306021990010112X4") == []


@pytest.mark.parametrize(
    "birth",
    ["19901301", "19900230", "19900100", "18991231", f"{timezone.localdate().year + 1}0101"],
)
def test_digits_without_a_plausible_birth_date_are_not_id_numbers(birth):
    assert find(f"230602{birth}1234") == []


@pytest.mark.parametrize("birth", ["19000101", "20000229", f"{timezone.localdate().year}0101"])
def test_birth_dates_at_the_edges_of_the_plausible_range_are_id_numbers(birth):
    assert kinds(f"230602{birth}1234") == ["id_number"]


def test_id_number_is_never_cut_out_of_a_longer_run_of_letters_and_digits():
    assert find(f"PZ{ID_NUMBER}") == []  # a voucher number
    assert find(f"{ID_NUMBER}A") == []
    assert find(f"6{ID_NUMBER}5") == []  # a 20-digit bank account


def test_id_number_next_to_punctuation_and_chinese_is_found():
    assert kinds(f"（{ID_NUMBER}）") == ["id_number"]
    assert kinds(f"ID:{ID_NUMBER}.") == ["id_number"]


# Mobile numbers


def test_eleven_digit_mobile_is_found_with_its_position_and_masked_form():
    text = f"联系电话{MOBILE}。"
    assert find(text) == [Finding("mobile", 4, 15, "138****5678")]


def test_ten_and_twelve_digit_runs_are_not_mobiles():
    assert find(MOBILE[:10]) == []
    assert find(MOBILE + "9") == []
    assert find("9" + MOBILE) == []


@pytest.mark.parametrize("prefix", ["13", "15", "17", "19"])
def test_numbers_from_13x_to_19x_are_mobiles(prefix):
    assert kinds(f"{prefix}812345678") == ["mobile"]


@pytest.mark.parametrize("prefix", ["10", "11", "12"])
def test_eleven_digits_from_10x_to_12x_are_not_mobiles(prefix):
    assert find(f"{prefix}812345678") == []


@pytest.mark.parametrize("written", ["138 1234 5678", "138-1234-5678"])
def test_mobile_written_three_four_four_is_found_as_a_whole(written):
    assert find(f"电话：{written}") == [Finding("mobile", 3, 16, "138****5678")]


@pytest.mark.parametrize("prefix", ["+86", "+86 ", "+86-", "86", "0086"])
def test_country_code_before_a_mobile_is_allowed_and_left_unmasked(prefix):
    assert mask(f"{prefix}{MOBILE}") == f"{prefix}138****5678"


def test_mobile_is_never_cut_out_of_a_longer_digit_run():
    assert find("6222021381234567890") == []  # a bank card number
    assert find("9913812345678") == []


@pytest.mark.parametrize(
    "landline", ["0451-12345678", "(010) 1234 5678", "010-13812345", "045113812345"]
)
def test_landline_numbers_are_not_mobiles(landline):
    assert find(landline) == []


@pytest.mark.parametrize("amount", ["13800000000.00", "13800000000.5", "0.13812345678"])
def test_mobile_looking_digits_with_a_decimal_part_are_an_amount(amount):
    assert find(amount) == []


def test_mobile_at_the_end_of_a_sentence_is_still_a_mobile():
    assert kinds(f"请致电{MOBILE}.") == ["mobile"]
    assert kinds(f"Tel.{MOBILE}") == ["mobile"]


# Full-width digits, masked forms, what findings carry


def test_full_width_digits_are_read_and_positions_point_into_the_original_text():
    text = "电话：１３８ １２３４ ５６７８，身份证１１０１０５１９４９１２３１００２Ｘ。"
    assert find(text) == [
        Finding("mobile", 3, 16, "138****5678"),
        Finding("id_number", 20, 38, "110105********002X"),
    ]
    assert mask(text) == "电话：138****5678，身份证110105********002X。"


def test_already_masked_numbers_are_not_findings():
    assert find("张三 230602********1234 138****5678 +86 138****5678") == []


def test_findings_never_carry_the_full_number():
    findings = find(f"{ID_NUMBER} {MOBILE}")
    assert len(findings) == 2
    assert ID_NUMBER not in repr(findings)
    assert MOBILE not in repr(findings)


def test_mask_gives_the_agreed_forms_and_keeps_the_rest_of_the_text():
    text = f"张三，{ID_NUMBER}，{MOBILE}；李四，138-1234-5678。"
    assert mask(text) == "张三，230602********1234，138****5678；李四，138****5678。"


def test_masking_masked_text_changes_nothing():
    masked = mask(f"{ID_NUMBER} {MOBILE}")
    assert mask(masked) == masked


# StreamField content, walked from its stored data

ROW = blocks.StructBlock(
    [("name", blocks.CharBlock(label="姓名")), ("note", blocks.CharBlock(label="说明"))]
)
BODY = blocks.StreamBlock(
    [
        ("paragraph", blocks.RichTextBlock(label="段落")),
        (
            "report",
            blocks.StructBlock(
                [
                    ("heading", blocks.CharBlock(label="标题")),
                    ("rows", blocks.ListBlock(ROW, label="明细")),
                ],
                label="财务报表",
            ),
        ),
        (
            "table",
            TypedTableBlock(
                [("text", blocks.CharBlock()), ("number", blocks.IntegerBlock())],
                label="收支表",
            ),
        ),
        ("grid", TableBlock(label="名单")),
        ("section", blocks.StreamBlock([("paragraph", blocks.RichTextBlock())], label="栏目")),
        ("contact", blocks.CharBlock()),
    ]
)


def places(findings) -> list[str]:
    return [place for place, _ in findings]


def test_list_items_inside_a_struct_are_named_by_labels_and_numbered_from_one():
    rows = [
        {"type": "item", "id": f"row-{n}", "value": {"name": f"居民{n}", "note": "已核实"}}
        for n in (1, 2)
    ]
    rows.append({"type": "item", "id": "row-3", "value": {"name": "张三", "note": MOBILE}})
    raw = [{"type": "report", "id": "a", "value": {"heading": "2026年低保", "rows": rows}}]
    with translation.override("en"):
        findings = stream_findings(BODY, raw, "正文")
    assert places(findings) == ["正文 › 财务报表 › 明细 › item 3 › 说明"]
    assert findings[0][1].masked == "138****5678"


def test_list_items_in_the_old_stored_format_are_walked_too():
    raw = [{"type": "report", "value": {"heading": "", "rows": [{"name": "张三", "note": MOBILE}]}}]
    with translation.override("en"):
        assert places(stream_findings(BODY, raw, "正文")) == [
            "正文 › 财务报表 › 明细 › item 1 › 说明"
        ]


def test_typed_table_cells_are_named_by_row_and_column_heading():
    raw = [
        {
            "type": "table",
            "id": "t",
            "value": {
                "caption": "收支",
                "columns": [
                    {"type": "text", "heading": "事项"},
                    {"type": "number", "heading": ""},
                    {"type": "text", "heading": "说明"},
                ],
                "rows": [
                    {"values": ["电费", 120, "正常"]},
                    {"values": ["水费", 80, "正常"]},
                    {"values": ["补助", 13912345678, f"经办人 {MOBILE}"]},
                ],
            },
        }
    ]
    with translation.override("en"):
        assert places(stream_findings(BODY, raw, "正文")) == [
            "正文 › 收支表 › row 3 › column 2",
            "正文 › 收支表 › row 3 › 说明",
        ]


def test_table_cells_are_named_by_grid_row_and_header_cell():
    raw = [
        {
            "type": "grid",
            "id": "g",
            "value": {
                "table_caption": f"联系人 {MOBILE}",
                "table_header_choice": "row",
                "data": [["姓名", "身份证号"], ["张三", ID_NUMBER], ["李四", None]],
            },
        }
    ]
    with translation.override("en"):
        findings = stream_findings(BODY, raw, "正文")
    assert places(findings) == ["正文 › 名单 › caption", "正文 › 名单 › row 2 › 身份证号"]


def test_table_without_a_header_row_names_columns_by_number():
    raw = [{"type": "grid", "id": "g", "value": {"data": [["张三", ID_NUMBER]]}}]
    with translation.override("en"):
        assert places(stream_findings(BODY, raw, "")) == ["名单 › row 1 › column 2"]


def test_a_number_typed_into_a_table_heading_is_masked_in_the_place_name():
    raw = [
        {
            "type": "table",
            "id": "t",
            "value": {
                "caption": "",
                "columns": [{"type": "text", "heading": f"张三 {MOBILE}"}],
                "rows": [{"values": [ID_NUMBER]}],
            },
        }
    ]
    with translation.override("en"):
        assert places(stream_findings(BODY, raw, "正文")) == [
            "正文 › 收支表 › row 1 › 张三 138****5678"
        ]


def test_rich_text_and_nested_streams_are_read_as_text_and_repeated_blocks_numbered():
    raw = [
        {"type": "paragraph", "id": "p1", "value": "<p>公示如下。</p>"},
        {"type": "paragraph", "id": "p2", "value": f"<p>张三 <b>{MOBILE[:3]}</b>{MOBILE[3:]}</p>"},
        {
            "type": "section",
            "id": "s",
            "value": [{"type": "paragraph", "id": "sp", "value": f"<p>{ID_NUMBER}</p>"}],
        },
        {"type": "contact", "id": "c", "value": MOBILE},
    ]
    with translation.override("en"):
        assert places(stream_findings(BODY, raw, "正文")) == [
            "正文 › 段落 no. 2",
            "正文 › 栏目 › Paragraph",
            "正文 › Contact",
        ]


def test_block_types_no_longer_defined_are_walked_by_their_shape():
    raw = [{"type": "retired", "id": "r", "value": {"people": [{"phone": MOBILE}]}}]
    with translation.override("en"):
        assert places(stream_findings(BODY, raw, "正文")) == [
            "正文 › retired › people › item 1 › phone"
        ]


def test_a_stream_value_built_in_memory_is_walked_through_its_raw_data():
    value = BODY.normalize([("contact", "无"), ("report", {"heading": ID_NUMBER, "rows": []})])
    with translation.override("en"):
        assert places(stream_findings(BODY, value.raw_data, "正文")) == ["正文 › 财务报表 › 标题"]


# Pages


@pytest.fixture
def home(db):
    return HomePage.objects.get()


def test_page_findings_read_the_title_and_the_rich_text_intro(home):
    home.title = f"张三 {MOBILE}"
    home.intro = f"<p>身份证 <b>230602</b>{ID_NUMBER[6:]}</p><p>{MOBILE[:7]}</p><p>{MOBILE[7:]}</p>"
    with translation.override("en"):
        assert [(place, finding.kind) for place, finding in page_findings(home)] == [
            ("Title", "mobile"),
            ("Introduction", "id_number"),
        ]


def test_rich_text_entities_are_read_as_the_characters_they_stand_for(home):
    home.intro = "<p>电话 138&nbsp;1234&nbsp;5678</p>"
    assert [finding.masked for _, finding in page_findings(home)] == ["138****5678"]


def test_page_findings_read_the_seo_title_and_search_description(home):
    home.seo_title = MOBILE
    home.search_description = ID_NUMBER
    with translation.override("en"):
        assert places(page_findings(home)) == ["Title tag", "Meta description"]


def test_page_findings_leave_wagtails_bookkeeping_fields_alone(home):
    home.draft_title = MOBILE
    home.url_path = f"/home/{MOBILE}/"
    assert page_findings(home) == []


def test_page_findings_on_a_plain_page_read_its_specific_content(home):
    home.intro = f"<p>{MOBILE}</p>"
    home.save(clean=False)  # the guard itself would refuse to save it
    with translation.override("en"):
        assert places(page_findings(Page.objects.get(pk=home.pk))) == ["Introduction"]


def test_page_without_personal_data_has_no_findings(home):
    home.intro = "<p>张三 230602********1234 138****5678，账户金额 13800000000.00 元。</p>"
    assert page_findings(home) == []


# The refusal


def test_no_findings_means_no_refusal():
    assert refusal_message([]) is None


def test_refusal_names_kind_masked_number_and_place_but_never_the_number(home):
    home.title = MOBILE
    home.intro = f"<p>{ID_NUMBER}</p>"
    with translation.override("en"):
        message = refusal_message(page_findings(home))
    assert message == (
        "This page cannot be saved or published: it contains unmasked personal data — "
        "mobile number 138****5678 in Title; ID number 230602********1234 in Introduction. "
        "Mask ID numbers as 230602********1234 and mobile numbers as 138****5678."
    )


def test_refusal_names_ten_places_and_counts_the_rest():
    finding = Finding("mobile", 0, 11, "138****5678")
    findings = [(f"正文 › 名单 › row {n}", finding) for n in range(1, 13)]
    with translation.override("en"):
        message = refusal_message(findings)
    assert "row 10;" not in message
    assert "row 10 and 2 more places." in message
    assert "row 11" not in message


@pytest.fixture
def guarded_home(home):
    """The home page with the guard mixed in, as the page models will have it, without
    defining a model for the test."""
    bases = HomePage.__bases__
    if not issubclass(HomePage, PersonalDataGuardMixin):
        HomePage.__bases__ = (PersonalDataGuardMixin, *bases)
    yield home
    HomePage.__bases__ = bases


def test_page_with_an_unmasked_number_does_not_validate(guarded_home):
    guarded_home.intro = f"<p>张三 {MOBILE}</p>"
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        guarded_home.full_clean()
    (message,) = refused.value.message_dict["__all__"]
    assert "mobile number 138****5678 in Introduction" in message
    assert refused.value.error_dict["__all__"][0].code == "personal_data"


def test_page_with_an_unmasked_number_cannot_be_saved_as_a_revision_or_published(guarded_home):
    guarded_home.title = f"{ID_NUMBER} 的补助"
    with pytest.raises(ValidationError):
        guarded_home.save_revision()
    assert guarded_home.revisions.count() == 0


def test_page_validates_once_its_numbers_are_masked(guarded_home):
    guarded_home.intro = mask(f"<p>张三 {ID_NUMBER} {MOBILE}</p>")
    guarded_home.full_clean()
    guarded_home.save_revision().publish()
    assert HomePage.objects.get().intro == "<p>张三 230602********1234 138****5678</p>"


def test_guard_keeps_wagtails_own_checks(guarded_home):
    Page.objects.get(depth=1).add_child(instance=Page(title="其他", slug="taken"))
    guarded_home.slug = "taken"
    with pytest.raises(ValidationError) as refused:
        guarded_home.full_clean()
    assert "slug" in refused.value.message_dict
