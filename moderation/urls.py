"""Moderation URLs; the project mounts them at /mod/."""

from django.urls import path, register_converter

from moderation import (
    alert_views,
    community_views,
    crisis_views,
    dashboard_views,
    member_views,
    rule_views,
    sanction_views,
    staff_views,
    views,
)


class PostKindConverter:
    regex = "discussion|reply"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PostKindConverter, "postkind")

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("log/", views.log, name="log"),
    path("on-call/", alert_views.on_call, name="on_call"),
    path("crisis/<int:pk>/acknowledge/", alert_views.crisis_acknowledge, name="crisis_acknowledge"),
    path("log.csv", dashboard_views.log_csv, name="log_csv"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/figures.csv", dashboard_views.dashboard_figures_csv, name="dashboard_figures_csv"),
    path("rules/", rule_views.rules, name="rules"),
    path("rules/new/", rule_views.rule_new, name="rule_new"),
    path("rules/<int:pk>/", rule_views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", rule_views.rule_delete, name="rule_delete"),
    path("rules/<int:pk>/switch/", rule_views.rule_switch, name="rule_switch"),
    path("communities/", community_views.communities, name="communities"),
    path("communities/<str:hashtag>/", community_views.community_settings, name="community_settings"),
    path("communities/<str:hashtag>/details/", community_views.details_update, name="community_details"),
    path("communities/<str:hashtag>/hold/", community_views.hold_update, name="community_hold"),
    path("communities/<str:hashtag>/aliases/", community_views.alias_add, name="community_alias_add"),
    path(
        "communities/<str:hashtag>/aliases/<int:alias_id>/decide/",
        community_views.alias_decide,
        name="community_alias_decide",
    ),
    path("staff/communities/", staff_views.staff_communities, name="staff_communities"),
    path("staff/communities/<str:hashtag>/policy/", staff_views.staff_community_policy, name="staff_community_policy"),
    path(
        "staff/communities/<str:hashtag>/moderators/",
        staff_views.staff_moderator_appoint,
        name="staff_moderator_appoint",
    ),
    path(
        "staff/communities/<str:hashtag>/moderators/<int:membership_id>/remove/",
        staff_views.staff_moderator_remove,
        name="staff_moderator_remove",
    ),
    path("crisis-resources/", crisis_views.crisis_resource_index, name="crisis_resources"),
    path("crisis-resources/new/", crisis_views.crisis_resource_new, name="crisis_resource_new"),
    path("crisis-resources/<int:pk>/", crisis_views.crisis_resource_edit, name="crisis_resource_edit"),
    path("crisis-resources/<int:pk>/delete/", crisis_views.crisis_resource_delete, name="crisis_resource_delete"),
    path("crisis-resources/<int:pk>/move/", crisis_views.crisis_resource_move, name="crisis_resource_move"),
    path("flags/", member_views.my_flags, name="my_flags"),
    path("notices/", member_views.notices, name="notices"),
    path("notices/<int:pk>/appeal/", member_views.appeal, name="appeal"),
    path("support/", member_views.support, name="support"),
    path("flag/<postkind:kind>/<int:pk>/", member_views.flag, name="flag"),
    path("<postkind:kind>/<int:pk>/", views.post_review, name="post_review"),
    path("<postkind:kind>/<int:pk>/reveal/", views.post_reveal, name="post_reveal"),
    path("<postkind:kind>/<int:pk>/<slug:action>/", views.post_action, name="post_action"),
    path("members/", sanction_views.members, name="members"),
    path("members/sanctions/<int:pk>/lift/", sanction_views.sanction_lift, name="sanction_lift"),
    path("members/notes/", sanction_views.note_add, name="member_note_add"),
    path("members/<int:user_id>/<slug:action>/", views.member_action, name="member_action"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
]
