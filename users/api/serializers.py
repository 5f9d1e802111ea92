from typing import Any


def profile_data(user: Any, *, following: bool) -> dict[str, Any]:
    """The RealWorld profile object; shared by profiles, article authors and comment authors."""
    return {
        "username": user.username,
        "bio": user.bio,
        "image": user.image,
        "following": following,
    }
