from django.urls import path

from discussions import consumers

websocket_urlpatterns = [
    path("ws/d/<int:discussion_id>/", consumers.DiscussionConsumer.as_asgi()),
    path("ws/notifications/", consumers.NotificationConsumer.as_asgi()),
]
