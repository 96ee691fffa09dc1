from django.urls import path

from . import views

app_name = "polls"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results/fragment/", views.results_fragment, name="results_fragment"),
    path("<int:pk>/notice/", views.notice, name="notice"),
    path("<int:pk>/receipts/", views.receipts, name="receipts"),
]
