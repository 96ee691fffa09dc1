from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/me/", consumers.MyHomeConsumer.as_asgi()),
    path("ws/polls/<int:pk>/", consumers.PollResultsConsumer.as_asgi()),
    path("ws/meetings/<int:pk>/", consumers.MeetingRoomConsumer.as_asgi()),
    path("ws/pacts/<int:pk>/", consumers.PactConsumer.as_asgi()),
]
