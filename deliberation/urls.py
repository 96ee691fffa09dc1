from django.urls import path

from . import views
from .views import topics

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
]
