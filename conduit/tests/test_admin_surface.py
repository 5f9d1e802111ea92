"""What the admin lets staff change, model by model. Every change the admin offers must go
through a service (so it is announced, counted and invalidated like the API's); this test
fails when an admin gains an editable field, an action, an add or a delete that is not in the
table below. Extend the table only together with the service that carries the change, and a
test that drives it through the real form."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from users.models import User

# model -> what the admin offers a superuser, and the service each offer goes through.
ROUTED: dict[str, dict[str, dict[str, str]]] = {
    # Read-only: written by the flushers and receivers of analytics, never by hand.
    "analytics.ArticleViews": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    "analytics.Dashboard": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    "articles.Article": {
        "editable": {},
        "actions": {"delete_selected": "articles.services.articles_delete"},
        "add": {},
        "delete": {"delete": "articles.services.article_delete"},
    },
    "articles.Favorite": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    # Read-only: recorded by the worker's milestone handler (articles/milestones.py).
    "articles.ArticleMilestone": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    "auth.Group": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    "comments.Comment": {
        "editable": {},
        "actions": {"delete_selected": "comments.services.comments_delete"},
        "add": {},
        "delete": {"delete": "comments.services.comment_delete"},
    },
    "django_tasks_database.DBTaskResult": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    "events.Delivery": {
        "editable": {},
        "actions": {"retry": "events.ops.redelivery.deliveries_retry"},
        "add": {},
        "delete": {},
    },
    "events.EventRecord": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    "moderation.ModerationItem": {
        "editable": {},
        "actions": {
            "approve": "events.system.moderation.services.content_approve",
            "remove": "events.system.moderation.services.content_remove",
        },
        "add": {},
        "delete": {},
    },
    "security.AccountLock": {
        "editable": {},
        "actions": {"unlock": "events.system.security.services.account_unlock"},
        "add": {},
        "delete": {},
    },
    "security.LoginAttempt": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    "security.RateLimitHit": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    "security.SuspiciousActivity": {"editable": {}, "actions": {}, "add": {}, "delete": {}},
    "tags.Tag": {
        "editable": {},
        "actions": {"delete_unused_tags": "tags.services.tags_delete_unused"},
        "add": {},
        "delete": {},
    },
    "webhooks.Endpoint": {
        "editable": {
            "url": "events.system.webhooks.services.endpoint_update",
            "description": "events.system.webhooks.services.endpoint_update",
            "all_events": "events.system.webhooks.services.endpoint_update",
            "event_types": "events.system.webhooks.services.endpoint_update",
            "active": "events.system.webhooks.services.endpoint_update",
            "include_personal": "events.system.webhooks.services.endpoint_update",
        },
        "actions": {
            "delete_selected": "events.system.webhooks.services.endpoint_delete",
            "rotate_secret": "events.system.webhooks.services.endpoint_rotate_secret",
            "resume": "events.system.webhooks.services.endpoint_resume",
        },
        "add": {"add": "events.system.webhooks.services.endpoint_create"},
        "delete": {"delete": "events.system.webhooks.services.endpoint_delete"},
    },
    "webhooks.Delivery": {
        "editable": {},
        "actions": {"resend": "events.system.webhooks.services.delivery_resend"},
        "add": {},
        "delete": {},
    },
    "users.Follow": {
        "editable": {},
        "actions": {"delete_selected": "users.services.follows_delete"},
        "add": {},
        "delete": {"delete": "users.services.user_unfollow"},
    },
    "users.User": {
        "editable": {
            "email": "users.services.user_update",
            "username": "users.services.user_update",
            "bio": "users.services.user_update",
            "image": "users.services.user_update",
            # A read-only hash whose form links to the password form (user_update).
            "password": "users.services.user_update",
            "is_active": "users.services.user_set_active",
            "is_staff": "users.services.user_access_update",
            "is_superuser": "users.services.user_access_update",
            "groups": "users.services.user_access_update",
            "user_permissions": "users.services.user_access_update",
        },
        "actions": {
            "delete_selected": "users.services.users_delete",
            "deactivate_accounts": "users.services.users_set_active",
            "reactivate_accounts": "users.services.users_set_active",
        },
        "add": {"add": "users.services.user_register"},
        "delete": {"delete": "users.services.user_delete"},
    },
}


def offered(model_admin: admin.ModelAdmin, model: type) -> dict[str, set[str]]:
    request = RequestFactory().get("/admin/")
    request.user = User(is_active=True, is_staff=True, is_superuser=True)
    instance = model()
    editable: set[str] = set()
    if model_admin.has_change_permission(request, instance):
        fields = set(model_admin.get_fields(request, instance))
        editable = fields - set(model_admin.get_readonly_fields(request, instance))
    return {
        "editable": editable,
        "actions": set(model_admin.get_actions(request)),
        "add": {"add"} if model_admin.has_add_permission(request) else set(),
        "delete": {"delete"} if model_admin.has_delete_permission(request, instance) else set(),
    }


@pytest.mark.parametrize(
    ("model", "model_admin"),
    [
        pytest.param(model, model_admin, id=model._meta.label)
        for model, model_admin in admin.site._registry.items()
    ],
)
def test_every_change_the_admin_offers_goes_through_a_service(model, model_admin):
    assert model._meta.label in ROUTED, f"{model._meta.label} is registered but not reviewed"
    expected = {kind: set(services) for kind, services in ROUTED[model._meta.label].items()}

    assert offered(model_admin, model) == expected


def test_the_table_names_no_model_the_admin_does_not_register():
    registered = {model._meta.label for model in admin.site._registry}

    assert set(ROUTED) == registered
