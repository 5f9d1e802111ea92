"""Input serializers (types, blanks, formats) and the RealWorld user and profile objects."""

import unicodedata
from typing import Any

from rest_framework import serializers

from conduit.fields import PatternField, StrictStringMixin, TextField
from conduit.patterns import EMAIL, HTTP_URL, USERNAME
from users.selectors import ProfileRow
from users.validators import (
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_MAX_LENGTH,
)

BIO_MAX_LENGTH = 10_000
IMAGE_MAX_LENGTH = 2000


class PasswordField(StrictStringMixin, serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", PASSWORD_MAX_LENGTH)
        super().__init__(trim_whitespace=False, **kwargs)


class UsernameField(PatternField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(USERNAME, max_length=USERNAME_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        # NFKC first, as the services store it: a decomposed "a" + U+0301 is the letter "á".
        if isinstance(data, str):
            data = unicodedata.normalize("NFKC", data)
        return super().to_internal_value(data)


class EmailField(PatternField):
    """An address as conduit.patterns.EMAIL has it (the schema states the same pattern)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(EMAIL, max_length=EMAIL_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data).lower()


class ImageUrlField(PatternField):
    """An http(s) address as conduit.patterns.HTTP_URL has it (the schema states the same)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(HTTP_URL, max_length=IMAGE_MAX_LENGTH, **kwargs)


class UserRegisterInputSerializer(serializers.Serializer):
    username = UsernameField()
    email = EmailField()
    password = PasswordField(min_length=PASSWORD_MIN_LENGTH)


class UserLoginInputSerializer(serializers.Serializer):
    # Not checked as an email: any string that matches no account is just wrong credentials.
    email = TextField(max_length=EMAIL_MAX_LENGTH)
    password = PasswordField()


class UserUpdateInputSerializer(serializers.Serializer):
    """Any subset; an omitted field is absent from validated_data (left unchanged)."""

    email = EmailField(required=False)
    username = UsernameField(required=False)
    password = PasswordField(required=False, min_length=PASSWORD_MIN_LENGTH)
    bio = TextField(required=False, allow_null=True, allow_blank=True, max_length=BIO_MAX_LENGTH)
    image = ImageUrlField(required=False, allow_null=True, allow_blank=True)


def user_data(user: Any, *, token: str) -> dict[str, Any]:
    """The RealWorld user object: the caller's own account, with a token."""
    return {
        "email": user.email,
        "token": token,
        "username": user.username,
        "bio": user.bio,
        "image": user.image,
    }


def profile_data(profile: ProfileRow) -> dict[str, Any]:
    """The RealWorld profile object; shared by profiles, article authors and comment authors."""
    return {
        "username": profile.username,
        "bio": profile.bio,
        "image": profile.image,
        "following": profile.following,
    }


# The output shapes below describe the plain dicts of user_data and profile_data for the API
# schema (/api/schema); the views never run them. Their docstrings are the schema's text.


class UserOutput(serializers.Serializer):
    """The caller's own account, with a fresh token."""

    email = serializers.CharField()
    token = serializers.CharField()
    username = serializers.CharField()
    bio = serializers.CharField(allow_null=True)
    image = serializers.CharField(allow_null=True)


class ProfileOutput(serializers.Serializer):
    """A user as others see them; `following` is false for anonymous callers."""

    username = serializers.CharField()
    bio = serializers.CharField(allow_null=True)
    image = serializers.CharField(allow_null=True)
    following = serializers.BooleanField()
