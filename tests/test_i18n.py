"""The Simplified Chinese catalog is complete, and the site speaks it unless told otherwise."""

import ast
import fcntl
import re
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.translation import trans_real

pytestmark = pytest.mark.django_db

CATALOG = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def read_catalog(path: Path) -> list[dict]:
    """The entries of a .po file: flags, msgid, msgid_plural and msgstr / msgstr[n]."""
    entries, entry, key = [], None, None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry is not None and "msgid" in entry["strings"]:
                entry["msgid"] = entry["strings"]["msgid"]
                entries.append(entry)
            entry, key = None, None
            continue
        entry = {"flags": set(), "strings": {}} if entry is None else entry
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry["strings"][key] += ast.literal_eval(line)
        else:
            key, _, text = line.partition(" ")
            entry["strings"][key] = ast.literal_eval(text)
    return entries


@pytest.fixture(scope="module")
def compiled_catalog():
    """Compile the catalog if the .mo is missing or older than the .po (./dev test compiles it)."""
    lock_path = Path(tempfile.gettempdir()) / "yishi-compilemessages.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers may get here together
        try:
            if not COMPILED.exists() or COMPILED.stat().st_mtime < CATALOG.stat().st_mtime:
                call_command("compilemessages", locale=["zh_Hans"], ignore_patterns=[".venv"])
                trans_real._translations = {}
                trans_real._default = None
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def test_catalog_is_complete_and_not_fuzzy():
    entries = read_catalog(CATALOG)
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Plural-Forms: nplurals=1; plural=0;" in header["strings"]["msgstr"]
    assert len(messages) > 200
    problems = []
    for entry in messages:
        strings = entry["strings"]
        translations = [text for key, text in strings.items() if key.startswith("msgstr")]
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {entry['msgid']!r}")
        if not translations or not all(text.strip() for text in translations):
            problems.append(f"untranslated: {entry['msgid']!r}")
        source = strings.get("msgid_plural", entry["msgid"])
        for text in translations:
            if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(source)):
                problems.append(f"placeholders differ: {entry['msgid']!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_sign_up_page_is_in_chinese_by_default(client, compiled_catalog):
    page = client.get("/accounts/signup/").content.decode()
    assert 'lang="zh-hans"' in page
    for chinese, english in [("昵称", "Display name"), ("手机号", "Mobile number")]:
        assert chinese in page
        assert english not in page
    assert "Public record" not in page
    assert "公开记录" in page


def test_switching_to_english(client, compiled_catalog):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in page
    assert "Sign up" in page
    assert "Public record" in page
    assert "公开记录" not in page


def test_every_string_in_the_code_is_in_the_catalog(tmp_path, monkeypatch, settings):
    """Run makemessages over the code into a copy of the catalog: nothing may come out
    untranslated. The sources are linked into a scratch folder so that makemessages
    writes there and never into the real catalog."""
    copy = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(CATALOG.read_bytes())
    for source in ("config", "deliberation", "cms", "polls", "templates", "static"):
        (tmp_path / source).symlink_to(Path(settings.BASE_DIR) / source)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["zh_Hans"], symlinks=True, verbosity=0)
    missing = [
        entry["msgid"]
        for entry in read_catalog(copy)
        if entry["msgid"]
        and (
            "fuzzy" in entry["flags"]
            or not any(v for k, v in entry["strings"].items() if k.startswith("msgstr"))
        )
    ]
    assert missing == []


GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext"}


def test_no_translatable_string_hides_inside_an_f_string():
    """xgettext does not read inside f-strings: a `_("…")` there never reaches the
    catalog and shows in English on a Chinese page."""
    hidden = []
    for app in ("config", "deliberation", "cms", "polls"):
        for path in (settings.BASE_DIR / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.JoinedStr):
                    continue
                for inner in ast.walk(node):
                    function = getattr(inner, "func", None)
                    if isinstance(function, ast.Name) and function.id in GETTEXT_CALLS:
                        hidden.append(f"{path.relative_to(settings.BASE_DIR)}:{inner.lineno}")
    assert not hidden, hidden


def test_translation_functions_keep_names_makemessages_knows():
    """makemessages finds strings by the function's name (`_`, `gettext_lazy`, …): one
    imported under another name (`gettext_lazy as _lazy`) hides every string it marks."""
    known = GETTEXT_CALLS | {"ngettext_lazy", "npgettext", "npgettext_lazy"}
    renamed = []
    for app in ("config", "deliberation", "cms", "polls"):
        for path in (settings.BASE_DIR / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                    renamed += [
                        f"{path.relative_to(settings.BASE_DIR)}:{node.lineno} {alias.asname}"
                        for alias in node.names
                        if alias.asname and alias.name in known and alias.asname not in known
                    ]
    assert not renamed, renamed
