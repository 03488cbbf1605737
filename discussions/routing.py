from django.urls import path

from discussions import consumers
from notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/d/<int:discussion_id>/", consumers.DiscussionConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
