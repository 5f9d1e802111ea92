"""The synchronous hooks users offers the apps above it: Django Signals, declared here by the
app that sends them and named for the moment they mark. Each is used only where the reaction
must share the sender's transaction or answer it; a reaction to a committed fact is a bus
handler instead (docs/architecture.md, "Reactions"). users may not import the apps above it
(they import users), so they connect to these in their ready().

`account_removing` is sent by users.services.user_delete inside its transaction, before the
account row goes, with `user`. The apps that own rows of the user (articles, favorites,
comments) remove them through their own services there, each publishing its events and
keeping its counters, instead of letting a database cascade remove them silently.

`account_anonymising` is sent by users.services.user_anonymise inside its transaction, with
`user`, before the account is anonymised (its content kept: `cleanup_user_data
--keep-content`). The apps that own rows of the user that are about the person rather than
their content (articles: the favorites) remove them there, through their services.

`login_checking` and `login_attempted` frame every credential check of
users.services.user_login, so that an app above (security) can guard logins and audit them
without users knowing it:

- `login_checking` is sent before the password is checked, with `email` (normalised) and
  `user` (the account it names, or None). A receiver that returns a DomainError refuses the
  attempt: user_login raises it without checking the password (a locked account's 429).
- `login_attempted` is sent after, with `email`, `user`, `outcome` ("succeeded", "failed"
  or "refused": a `login_checking` receiver refused it, and `refusal` is its DomainError,
  None otherwise), `client_ip` and `user_agent`; inside the transaction of a successful
  login, so its record commits with it.
"""

from django.dispatch import Signal

account_removing = Signal()
account_anonymising = Signal()
login_checking = Signal()
login_attempted = Signal()
