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
without users knowing it. Both are sent inside the login's transaction:

- `login_checking` is sent before the password is checked, with `email` (normalised),
  `user` (the account it names, or None) and `client_ip`. A receiver that returns a
  DomainError refuses the attempt: user_login raises it without checking the password (a
  locked email's 429). A receiver that raises fails the login (fail closed).
- `login_attempted` is sent after, with `email`, `user`, `outcome` ("succeeded", "failed"
  or "refused"), `refusal` (the DomainError, when refused), `client_ip` and `user_agent`.
  A receiver that returns an Exception fails the login with it once the transaction has
  committed what it recorded (a success is rolled back instead).
"""

from django.dispatch import Signal

account_removing = Signal()
account_anonymising = Signal()
login_checking = Signal()
login_attempted = Signal()
