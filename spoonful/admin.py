"""django-q2's admin would be a second way to change jobs and schedules: staff use /staff/jobs/, and
schedules are declared in code (spoonful/schedules.py)."""

from django.contrib import admin
from django_q.models import Failure, OrmQ, Schedule, Success

for model in (Failure, OrmQ, Schedule, Success):
    admin.site.unregister(model)
