"""Thin views, one per operation: parse the envelope, call one service or selector, wrap."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conduit.api import unwrap
from conduit.auth import issue_token
from conduit.clients import client_ip, user_agent
from conduit.schema import AUTH, PROFILE, envelope, errors
from users import selectors, services
from users.api.serializers import (
    ProfileOutput,
    UserLoginInputSerializer,
    UserOutput,
    UserRegisterInputSerializer,
    UserUpdateInputSerializer,
    profile_data,
    user_data,
)
from users.models import User
from users.selectors import ProfileRow

USER = envelope("UserResponse", user=UserOutput())
PROFILE_RESPONSE = envelope("ProfileResponse", profile=ProfileOutput())


def _user_response(user: User, status_code: int = status.HTTP_200_OK) -> Response:
    # A fresh token every time; tokens name the user id and its token version, so older ones
    # keep working until the password changes.
    return Response({"user": user_data(user, token=issue_token(user))}, status=status_code)


def _profile_response(profile: ProfileRow) -> Response:
    return Response({"profile": profile_data(profile)})


class UserRegisterApi(APIView):
    throttle_scope = "registration"  # rates: RATE_LIMIT_* (security/throttling.py)

    @extend_schema(
        operation_id="CreateUser",
        tags=[AUTH],
        request=envelope("NewUserRequest", user=UserRegisterInputSerializer()),
        responses={201: USER, **errors(409, 413, 422)},
    )
    def post(self, request: Request) -> Response:
        serializer = UserRegisterInputSerializer(data=unwrap(request, "user"))
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return _user_response(user, status.HTTP_201_CREATED)


class UserLoginApi(APIView):
    throttle_scope = "login"

    @extend_schema(
        operation_id="Login",
        tags=[AUTH],
        request=envelope("LoginUserRequest", user=UserLoginInputSerializer()),
        responses={200: USER, **errors(401, 413, 422)},
    )
    def post(self, request: Request) -> Response:
        serializer = UserLoginInputSerializer(data=unwrap(request, "user"))
        serializer.is_valid(raise_exception=True)
        user = services.user_login(
            **serializer.validated_data,
            client_ip=client_ip(request),
            user_agent=user_agent(request),
        )
        return _user_response(user)


class UserCurrentApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="GetCurrentUser", tags=[AUTH], responses={200: USER, **errors(401)})
    def get(self, request: Request) -> Response:
        # JWTAuthentication has already loaded the active user: no further query.
        return _user_response(request.user)


class UserUpdateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="UpdateCurrentUser",
        tags=[AUTH],
        request=envelope("UpdateUserRequest", user=UserUpdateInputSerializer()),
        responses={200: USER, **errors(401, 409, 413, 422)},
    )
    def put(self, request: Request) -> Response:
        serializer = UserUpdateInputSerializer(data=unwrap(request, "user"))
        serializer.is_valid(raise_exception=True)
        user = services.user_update(
            user=request.user,
            **serializer.validated_data,
            through_token=request.auth.token_id,  # conduit.auth.TokenClaims
        )
        return _user_response(user)


class ProfileDetailApi(APIView):
    @extend_schema(
        operation_id="GetProfileByUsername",
        tags=[PROFILE],
        responses={200: PROFILE_RESPONSE, **errors(404)},
    )
    def get(self, request: Request, username: str) -> Response:
        return _profile_response(selectors.profile_get(username=username, viewer=request.user))


class ProfileFollowApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="FollowUserByUsername",
        tags=[PROFILE],
        request=None,
        responses={200: PROFILE_RESPONSE, **errors(401, 403, 404)},
    )
    def post(self, request: Request, username: str) -> Response:
        user = selectors.user_find(username=username)
        services.user_follow(follower=request.user, followed=user)
        return _profile_response(selectors.profile_row(user, following=True))


class ProfileUnfollowApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="UnfollowUserByUsername",
        tags=[PROFILE],
        responses={200: PROFILE_RESPONSE, **errors(401, 404)},
    )
    def delete(self, request: Request, username: str) -> Response:
        user = selectors.user_find(username=username)
        services.user_unfollow(follower=request.user, followed=user)
        return _profile_response(selectors.profile_row(user))
