from django.urls import path

from . import views
from .views import meetings, topics

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
]
