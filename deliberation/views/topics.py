"""Resident pages for topics: the catalog, proposing, co-signing, discussing,
following and evaluating. Every page works without JavaScript."""

from django.shortcuts import get_object_or_404, render

from .. import policies, queries
from ..models import Topic


def topic_detail(request, pk: int):
    topic = get_object_or_404(Topic.objects.all(), pk=pk)
    if not policies.can_see_topic(request.user, topic):
        from django.http import Http404

        raise Http404
    return render(request, "deliberation/topic_detail.html", {"topic": queries.topic(pk)})
