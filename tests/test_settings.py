"""Settings read from the environment, checked in fresh processes so that the variables
of the test run itself play no part."""

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

PRINT_SETTINGS = """
import json
from config import settings as s
print(json.dumps({
    "LANGUAGE_CODE": s.LANGUAGE_CODE,
    "TIME_ZONE": s.TIME_ZONE,
    "DATABASE_ENGINE": s.DATABASES["default"]["ENGINE"],
    "CHANNEL_LAYER": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "CHANNEL_HOSTS": s.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
    "CACHE": s.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": s.CACHES["default"].get("LOCATION"),
    "DEBUG": s.DEBUG,
}))
"""


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run Python in the project with only the given settings variables set."""
    environ = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "config.settings"}
    environ.update(env)
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_in(**env: str) -> dict:
    result = run(["-c", PRINT_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        YISHI_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="yishi.example.org",
        REDIS_URL="redis://127.0.0.1:6379/0",
        YISHI_SMS_BACKEND="gateway.adapters.AliyunSmsBackend",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_deploy_check_refuses_the_console_sms_backend_and_a_missing_redis():
    result = run(
        ["manage.py", "check", "--deploy"],
        YISHI_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="yishi.example.org",
    )
    assert result.returncode != 0
    assert "yishi.E001" in result.stderr and "yishi.E002" in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    result = run(["manage.py", "check"], YISHI_ENV="production", ALLOWED_HOSTS="yishi.example.org")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when YISHI_ENV=production" in result.stderr


def test_unknown_environment_name_refuses_to_start():
    result = run(["manage.py", "check"], YISHI_ENV="staging")
    assert result.returncode != 0
    assert "ImproperlyConfigured: YISHI_ENV must be 'dev' or 'production', not 'staging'" in (
        result.stderr
    )


def test_defaults_are_chinese_shanghai_sqlite_and_in_memory_layer():
    defaults = settings_in()
    assert defaults["LANGUAGE_CODE"] == "zh-hans"
    assert defaults["TIME_ZONE"] == "Asia/Shanghai"
    assert defaults["DATABASE_ENGINE"] == "django.db.backends.sqlite3"
    assert defaults["CHANNEL_LAYER"] == "channels.layers.InMemoryChannelLayer"
    assert defaults["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"


def test_redis_url_switches_channel_layer_and_cache_to_redis():
    redis_url = "redis://redis.internal:6379/2"
    configured = settings_in(REDIS_URL=redis_url)
    assert configured["CHANNEL_LAYER"].startswith("channels_redis.")
    assert configured["CHANNEL_HOSTS"] == [redis_url]
    assert configured["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    assert configured["CACHE_LOCATION"] == redis_url


def test_production_is_never_in_debug_mode():
    configured = settings_in(YISHI_ENV="production", SECRET_KEY="x" * 50, DEBUG="1")
    assert configured["DEBUG"] is False
