from django.urls import path

from conduit.api import by_method
from users.api import views

urlpatterns = [
    path("users", views.UserRegisterApi.as_view(), name="user-register"),
    path("users/login", views.UserLoginApi.as_view(), name="user-login"),
    path(
        "user",
        by_method(get=views.UserCurrentApi, put=views.UserUpdateApi),
        name="user-current",
    ),
    path("profiles/<str:username>", views.ProfileDetailApi.as_view(), name="profile-detail"),
    path(
        "profiles/<str:username>/follow",
        by_method(post=views.ProfileFollowApi, delete=views.ProfileUnfollowApi),
        name="profile-follow",
    ),
]
