"""Which reads security's events renew (conduit.readcache). Security remembers no read of its
own; a new password or email, saved by whatever path (a shell's save publishes no profile
update), changes the user behind a token, which users' reads remember (conduit.auth's
user_scope). No other security event changes anything anyone reads."""

from conduit.auth import user_scope
from conduit.readcache import RenewalTable
from events.system.security.events import UserEmailChanged, UserPasswordChanged


def the_users_own_reads(event: UserPasswordChanged | UserEmailChanged) -> tuple[str, ...]:
    return (user_scope(event.user_id),)


RENEWED_BY: RenewalTable = {
    UserPasswordChanged: the_users_own_reads,
    UserEmailChanged: the_users_own_reads,
}
