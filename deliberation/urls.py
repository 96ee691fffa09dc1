from django.urls import path

from . import views
from .views import meetings, pacts, topics

app_name = "deliberation"

urlpatterns = [
    path("me/", views.my_home, name="my_home"),
    path("me/claim/", views.claim_dwelling, name="claim_dwelling"),
    path("me/topics/", topics.my_topics, name="my_topics"),
    path("me/notifications/", topics.notifications, name="notifications"),
    path("me/notifications/read/", topics.notifications_read, name="notifications_read"),
    path("trace/", views.trace_list, name="trace"),
    path("back-office/sign-in/", views.back_office_sign_in, name="back_office_sign_in"),
    path("topics/", topics.topic_list, name="topics"),
    path("topics/catalog/", topics.catalog, name="catalog"),
    path("topics/new/", topics.topic_new, name="topic_new"),
    path("topics/<int:pk>/", topics.topic_detail, name="topic"),
    path("topics/<int:pk>/edit/", topics.topic_edit, name="topic_edit"),
    path("topics/<int:pk>/propose/", topics.topic_propose, name="topic_propose"),
    path("topics/<int:pk>/delete/", topics.topic_delete, name="topic_delete"),
    path("topics/<int:pk>/sign/", topics.topic_sign, name="topic_sign"),
    path("topics/<int:pk>/follow/", topics.topic_follow, name="topic_follow"),
    path("topics/<int:pk>/unfollow/", topics.topic_unfollow, name="topic_unfollow"),
    path("topics/<int:pk>/comment/", topics.topic_comment, name="topic_comment"),
    path("topics/<int:pk>/evaluate/", topics.topic_evaluate, name="topic_evaluate"),
    path("topics/comments/<int:pk>/report/", topics.comment_report, name="comment_report"),
    path("meetings/", meetings.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/comment/", meetings.meeting_comment, name="meeting_comment"),
    path("meetings/<int:pk>/hand/raise/", meetings.meeting_raise_hand, name="meeting_raise_hand"),
    path("meetings/<int:pk>/hand/lower/", meetings.meeting_lower_hand, name="meeting_lower_hand"),
    path("meetings/<int:pk>/yield/", meetings.meeting_yield_floor, name="meeting_yield_floor"),
    path("meetings/<int:pk>/chair/", meetings.meeting_chair, name="meeting_chair"),
    path("meetings/<int:pk>/register/", meetings.meeting_register, name="meeting_register"),
    path("meetings/<int:pk>/withdraw/", meetings.meeting_withdraw, name="meeting_withdraw"),
    path("meetings/<int:pk>/minutes/", meetings.meeting_minutes, name="meeting_minutes"),
    path("meetings/<int:pk>/secretary/", meetings.meeting_secretary, name="meeting_secretary"),
    path(
        "meetings/<int:pk>/secretary/attendance/",
        meetings.secretary_attendance,
        name="secretary_attendance",
    ),
    path("meetings/<int:pk>/secretary/ballot/", meetings.secretary_ballot, name="secretary_ballot"),
    path(
        "meetings/<int:pk>/secretary/minutes/", meetings.secretary_minutes, name="secretary_minutes"
    ),
    path("pacts/", pacts.pact_list, name="pacts"),
    path("pacts/<int:pk>/", pacts.pact_detail, name="pact"),
    path("pacts/<int:pk>/articles/<int:key>/amend/", pacts.pact_amend, name="pact_amend"),
    path(
        "pacts/<int:pk>/amendments/<int:amendment>/",
        pacts.pact_amendment,
        name="pact_amendment",
    ),
    path(
        "pacts/<int:pk>/amendments/<int:amendment>/card/",
        pacts.pact_amendment_card,
        name="pact_amendment_card",
    ),
    path(
        "pacts/<int:pk>/amendments/<int:amendment>/position/",
        pacts.pact_position,
        name="pact_position",
    ),
    path(
        "pacts/<int:pk>/amendments/<int:amendment>/comment/",
        pacts.pact_comment,
        name="pact_comment",
    ),
    path(
        "pacts/<int:pk>/amendments/<int:amendment>/withdraw/",
        pacts.pact_withdraw,
        name="pact_withdraw",
    ),
    path(
        "pacts/<int:pk>/amendments/<int:amendment>/comments/<int:comment>/hide/",
        pacts.pact_hide_comment,
        name="pact_hide_comment",
    ),
    path("pacts/<int:pk>/versions/<int:number>/", pacts.pact_version, name="pact_version"),
    path("pacts/<int:pk>/compare/", pacts.pact_compare, name="pact_compare"),
    path("pacts/<int:pk>/committee/", pacts.pact_committee, name="pact_committee"),
    path(
        "pacts/<int:pk>/committee/articles/add/",
        pacts.pact_article_add,
        name="pact_article_add",
    ),
    path(
        "pacts/<int:pk>/committee/articles/<int:key>/edit/",
        pacts.pact_article_edit,
        name="pact_article_edit",
    ),
    path(
        "pacts/<int:pk>/committee/articles/<int:key>/delete/",
        pacts.pact_article_delete,
        name="pact_article_delete",
    ),
    path("pacts/<int:pk>/committee/preamble/", pacts.pact_preamble, name="pact_preamble"),
    path(
        "pacts/<int:pk>/committee/amendments/<int:amendment>/decide/",
        pacts.pact_decide,
        name="pact_decide",
    ),
    path(
        "pacts/<int:pk>/committee/articles/<int:key>/reconcile/",
        pacts.pact_reconcile,
        name="pact_reconcile",
    ),
    path("pacts/<int:pk>/committee/open/", pacts.pact_open, name="pact_open"),
    path("pacts/<int:pk>/committee/consolidate/", pacts.pact_consolidate, name="pact_consolidate"),
    path("pacts/<int:pk>/committee/vote/", pacts.pact_start_vote, name="pact_start_vote"),
    path("pacts/<int:pk>/committee/revise/", pacts.pact_revise, name="pact_revise"),
]
