from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("unread/", views.unread, name="unread"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("settings/", views.preferences, name="settings"),
    path("push/subscribe/", views.push_subscribe_view, name="push_subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe_view, name="push_unsubscribe"),
    path("push/<int:pk>/", views.push_device, name="push_device"),
    path("follow/<slug:slug>/", views.follow, name="follow"),
    path("unfollow/<slug:slug>/", views.unfollow, name="unfollow"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
