import factory

from users.models import Follow, User

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    bio = None
    image = None
    password = DEFAULT_PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Hashed before the first save, as registration does: a save after `set_password`
        on an existing account is a password change (announced, events/system/security/hooks.py)."""
        user = model_class(
            *args, **{name: value for name, value in kwargs.items() if name != "password"}
        )
        user.set_password(kwargs.get("password", DEFAULT_PASSWORD))
        user.save(force_insert=True)
        return user

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        user = model_class(
            *args, **{name: value for name, value in kwargs.items() if name != "password"}
        )
        user.set_password(kwargs.get("password", DEFAULT_PASSWORD))
        return user


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    followed = factory.SubFactory(UserFactory)
