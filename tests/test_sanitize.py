"""Resident-written text: payloads from OWASP's XSS filter-evasion cheat sheet come out
inert, and the markup residents may use survives."""

import re
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from bleach._vendor import html5lib

from deliberation.sanitize import ALLOWED_TAGS, LINK_REL, clean_html, clean_plain, linkify

XHTML = "http://www.w3.org/1999/xhtml"

XSS_PAYLOADS = [
    "<script>alert('XSS')</script>",
    '<SCRIPT SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<<SCRIPT>alert("XSS");//<</SCRIPT>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg/onload=alert('XSS')>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    "&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040"
    '&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">x</a>',
    '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65'
    '&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29">x</a>',
    "<a href=\"jav\tascript:alert('XSS');\">tab</a>",
    "<a href=\"jav&#x09;ascript:alert('XSS');\">encoded tab</a>",
    "<a href=\"jav&#x0A;ascript:alert('XSS');\">encoded newline</a>",
    "<a href=\"jav&#x0D;ascript:alert('XSS');\">encoded carriage return</a>",
    "<a href=\"jav\nascript:alert('XSS');\">newline</a>",
    '<a href="java\x00script:alert(1)">null byte</a>',
    "<a href=\" &#14;  javascript:alert('XSS');\">leading junk</a>",
    '<a href="  javascript:alert(1)">leading spaces</a>',
    '<a href="\x01javascript:alert(1)">leading control</a>',
    '<a href="javascript&colon;alert(1)">named colon</a>',
    '<a href="java&NewLine;script:alert(1)">named newline</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">DATA</a>',
    "<a href=\"vbscript:msgbox('XSS')\">vb</a>",
    '<p style="background:url(javascript:alert(1))">style url</p>',
    "<p style=\"width: expression(alert('XSS'));\">expression</p>",
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)" type="text/html"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<base href=\"javascript:alert('XSS');//\">",
    '<form action="javascript:alert(1)"><input type="submit"></form>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    "<b onmouseover=alert(1)>bold</b>",
    '<p onclick="alert(1)">para</p>',
    '<blockquote cite="javascript:alert(1)" onmouseover=alert(1)>quote</blockquote>',
    '<a href="http://ok.example" onclick="alert(1)" style="color:red" target="_blank">ok</a>',
    '<a href="http://ok.example" title="&quot; onmouseover=&quot;alert(1)">nested quotes</a>',
    "<a href='x' title='\"><script>alert(1)</script>'>nested quotes</a>",
    "<p <script>alert(1)</script>>",
    "<!--<script>alert(1)</script>-->",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><mi xlink:href="data:x,<script>alert(4)</script>">',
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    '<a href="http://ok.example/"><img src=x onerror=alert(1)></a>',
    "<ul><li onmouseover=alert(1)><a href=javascript:alert(1)>li</a></li></ul>",
]


def assert_inert(output: str) -> None:
    """Parse the output as a browser would and check there is nothing that can run."""
    assert "<script" not in output.lower()
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", output, re.IGNORECASE)
    fragment = html5lib.parseFragment(output, treebuilder="etree")
    for element in fragment.iter():
        if element is fragment:
            continue
        assert element.tag is not ElementTree.Comment, output
        namespace, _, name = element.tag[1:].partition("}")
        assert namespace == XHTML, output
        assert name in ALLOWED_TAGS, output
        allowed_attributes = {"href", "rel"} if name == "a" else set()
        assert set(element.attrib) <= allowed_attributes, output
        if "href" in element.attrib:
            assert urlsplit(element.attrib["href"]).scheme in {"http", "https", "mailto"}, output


def links_in(output: str) -> list[dict[str, str]]:
    fragment = html5lib.parseFragment(output, treebuilder="etree")
    return [dict(a.attrib) for a in fragment.iter(f"{{{XHTML}}}a")]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_rich_text_payload_comes_out_inert(payload):
    assert_inert(clean_html(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_cleaning_rich_text_twice_changes_nothing(payload):
    once = clean_html(payload)
    assert clean_html(once) == once


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_plain_text_payload_has_no_markup(payload):
    output = clean_plain(payload)
    assert not re.search(r"<[a-z!/?]", output, re.IGNORECASE)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_linkified_payload_comes_out_inert(payload):
    assert_inert(linkify(payload))


def test_allowed_markup_and_chinese_text_survive():
    text = (
        "<p>各位邻居：<strong>周六</strong>上午<em>九点</em>开会，<b>请</b><i>准时</i>。</p>"
        "<ul><li>加装电梯</li><li>停车位</li></ul><ol><li>一</li><li>二</li></ol>"
        "<blockquote>居民公约第三条</blockquote>第一行<br>第二行"
    )
    assert clean_html(text) == text


def test_disallowed_tags_are_stripped_but_their_text_is_kept():
    assert clean_html("<div><span>楼道</span><h1>照明</h1></div>").split() == ["楼道", "照明"]


def test_script_and_style_content_is_dropped():
    output = clean_html("<p>前<script>alert(1)</script>中<style>p{color:red}</style>后</p>")
    assert output == "<p>前中后</p>"


def test_links_get_nofollow_noopener_and_nothing_else():
    output = clean_html(
        '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="opener" '
        'title="t" id="x">通知</a>'
    )
    assert links_in(output) == [{"href": "https://example.org/a?b=1&c=2", "rel": LINK_REL}]


def test_mailto_link_is_kept():
    output = clean_html('<a href="mailto:juweihui@example.org">写信</a>')
    assert links_in(output) == [{"href": "mailto:juweihui@example.org", "rel": LINK_REL}]


@pytest.mark.parametrize("href", ["/meetings/1/", "#top", "ftp://example.org/f", "tel:110"])
def test_link_without_an_absolute_allowed_address_becomes_text(href):
    assert clean_html(f'<a href="{href}">链接</a>') == "链接"


def test_bare_address_in_rich_text_becomes_a_safe_link():
    output = clean_html("<p>详见 https://example.org/notice/3</p>")
    assert links_in(output) == [{"href": "https://example.org/notice/3", "rel": LINK_REL}]


def test_plain_text_loses_tags_and_keeps_text():
    assert (
        clean_plain("<b>三号楼</b>的<a href='http://x.example'>电梯</a>坏了") == "三号楼的电梯坏了"
    )


def test_plain_text_drops_script_content():
    assert clean_plain("停车<script>alert(1)</script>问题") == "停车问题"


def test_plain_text_normalises_line_endings_and_spaces():
    assert clean_plain("  第一行 \t  继续\r\n第二行\r第三行\n\n\n\n\n第四行  ") == (
        "第一行 继续\n第二行\n第三行\n\n第四行"
    )


def test_plain_text_drops_control_characters_but_keeps_newlines():
    assert clean_plain("A\x00B\x07C\x1bD\u202eE\nF") == "ABCDE\nF"


def test_plain_text_keeps_ideographic_indent_and_ordinary_symbols():
    assert (
        clean_plain("\u3000\u3000面积 < 100 m² & 楼层 > 3")
        == "\u3000\u3000面积 < 100 m² & 楼层 > 3"
    )


def test_empty_text_stays_empty():
    assert clean_html("") == clean_plain("") == linkify("") == ""


def test_linkify_escapes_markup_and_links_addresses():
    output = linkify("<b>见</b> https://example.org/a 或 javascript:alert(1) 或 me@example.org")
    assert "&lt;b&gt;" in output
    assert links_in(output) == [
        {"href": "https://example.org/a", "rel": LINK_REL},
        {"href": "mailto:me@example.org", "rel": LINK_REL},
    ]
