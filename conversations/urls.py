from django.urls import path

from conversations import views

app_name = "conversations"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/new/", views.conversation_new, name="new"),
    path("messages/<int:pk>/", views.conversation_detail, name="detail"),
    path("messages/<int:pk>/after/", views.conversation_after, name="after"),
    path("messages/<int:pk>/<slug:answer>/", views.conversation_answer, name="answer"),
    path("messages/<int:pk>/messages/<int:message_id>/report/", views.message_report, name="report"),
    path("settings/messages/", views.messaging_settings, name="settings"),
]
