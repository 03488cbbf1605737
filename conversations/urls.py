from django.urls import path

from conversations import staff_views, views

app_name = "conversations"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/new/", views.conversation_new, name="new"),
    path("messages/<int:pk>/", views.conversation_detail, name="detail"),
    path("messages/<int:pk>/after/", views.conversation_after, name="after"),
    path("messages/<int:pk>/support/", views.conversation_support, name="support"),
    path("messages/<int:pk>/<slug:answer>/", views.conversation_answer, name="answer"),
    path("messages/<int:pk>/messages/<int:message_id>/report/", views.message_report, name="report"),
    path("messages/help/", views.help_request, name="help"),
    path("settings/messages/", views.messaging_settings, name="settings"),
    path("mod/message-reports/", staff_views.report_list, name="staff_reports"),
    path("mod/message-reports/<int:pk>/", staff_views.report_detail, name="staff_report"),
    path(
        "mod/reach-out/discussion/<int:pk>/",
        staff_views.reach_out_post,
        {"kind": "discussion"},
        name="reach_out_discussion",
    ),
    path("mod/reach-out/reply/<int:pk>/", staff_views.reach_out_post, {"kind": "reply"}, name="reach_out_reply"),
    path("mod/reach-out/<str:username>/", staff_views.reach_out_member, name="reach_out_member"),
]
