"""What every app's admin shares."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class DeletesThroughServiceMixin(admin.ModelAdmin):
    """For an admin whose delete_model / delete_queryset call a service that removes the
    related rows itself (each through its own service). Django would otherwise refuse the
    delete unless staff may delete every related row by hand, which the related admins
    forbid precisely so that only services remove them."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected
