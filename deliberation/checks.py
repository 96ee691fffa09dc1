"""Deployment checks (`manage.py check --deploy`): things that work on a laptop and fail
a community in production."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_sms_backend(app_configs, **kwargs):
    if settings.YISHI_SMS_BACKEND == "deliberation.sms.ConsoleSmsBackend":
        return [
            Error(
                "The console SMS backend only prints codes; nobody receives them.",
                hint="Set YISHI_SMS_BACKEND to a gateway adapter (see docs/sms.md).",
                id="yishi.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    if not settings.REDIS_URL:
        return [
            Error(
                "Without REDIS_URL, rate limits and live events stay inside one process.",
                hint="Set REDIS_URL when running several uvicorn workers.",
                id="yishi.E002",
            )
        ]
    return []
