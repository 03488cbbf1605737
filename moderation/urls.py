"""Moderation URLs; the project mounts them at /mod/."""

from django.urls import path, register_converter

from moderation import dashboard_views, member_views, rule_views, sanction_views, views


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
    path("log.csv", dashboard_views.log_csv, name="log_csv"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/figures.csv", dashboard_views.dashboard_figures_csv, name="dashboard_figures_csv"),
    path("rules/", rule_views.rules, name="rules"),
    path("rules/new/", rule_views.rule_new, name="rule_new"),
    path("rules/<int:pk>/", rule_views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", rule_views.rule_delete, name="rule_delete"),
    path("rules/<int:pk>/switch/", rule_views.rule_switch, name="rule_switch"),
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
