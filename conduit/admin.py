"""What every app's admin shares, and the site's own names."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

# The site says whose it is; "View site" opens the API's documentation (there is no page at /).
admin.site.site_header = "Conduit administration"
admin.site.site_title = "Conduit admin"
admin.site.index_title = "Conduit site administration"
admin.site.site_url = "/api/docs"


class DeletesThroughServiceMixin(admin.ModelAdmin):
    """For an admin whose delete_model / delete_queryset call a service that removes the
    related rows itself (each through its own service). Django would otherwise refuse the
    delete unless staff may delete every related row by hand, which the related admins
    forbid precisely so that only services remove them."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected
