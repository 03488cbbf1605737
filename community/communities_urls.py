from django.urls import path

from community import alias_views, membership_views, views

app_name = "communities"

# Fixed paths first: community hashtags that would shadow them are refused
# (community.services.RESERVED_SLUGS).
urlpatterns = [
    path("", views.directory, name="directory"),
    path("new/", views.community_new, name="new"),
    path("autocomplete/", views.autocomplete, name="autocomplete"),
    path("<str:hashtag>/", views.community_detail, name="detail"),
    path("<str:hashtag>/join/", membership_views.join, name="join"),
    path("<str:hashtag>/leave/", membership_views.leave, name="leave"),
    path("<str:hashtag>/requests/", membership_views.join_requests, name="requests"),
    path("<str:hashtag>/requests/<int:membership_id>/decide/", membership_views.request_decide, name="request_decide"),
    path("<str:hashtag>/policy/", views.policy, name="policy"),
    path("<str:hashtag>/invite/", membership_views.invite, name="invite"),
    path("<str:hashtag>/members/", membership_views.members, name="members"),
    path("<str:hashtag>/members/<int:membership_id>/remove/", membership_views.member_remove, name="member_remove"),
    path(
        "<str:hashtag>/members/<int:membership_id>/moderator/",
        membership_views.moderator_change,
        name="moderator_change",
    ),
    path("<str:hashtag>/aliases/", alias_views.alias_proposals, name="aliases"),
    path("<str:hashtag>/aliases/propose/", alias_views.alias_propose, name="alias_propose"),
]
