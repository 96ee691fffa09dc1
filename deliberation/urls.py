from django.urls import path

from . import views
from .views import topics

app_name = "deliberation"

urlpatterns = [
    path("me/", views.my_home, name="my_home"),
    path("me/claim/", views.claim_dwelling, name="claim_dwelling"),
    path("trace/", views.trace_list, name="trace"),
    path("back-office/sign-in/", views.back_office_sign_in, name="back_office_sign_in"),
    path("topics/<int:pk>/", topics.topic_detail, name="topic"),
]
