"""The one synchronous hook users offers the apps above it.

`account_removing` is sent by users.services.user_delete inside its transaction, before the
account row goes, with `user`. The apps that own rows of the user (articles, favorites,
comments) remove them through their own services there, each publishing its events and
keeping its counters, instead of letting a database cascade remove them silently. users may
not import those apps (they import users), so they connect to this signal in their ready();
it is the same pattern as comments' `pre_delete` receiver on Article, but sent before Django's
deletion collector has gathered anything.
"""

from django.dispatch import Signal

account_removing = Signal()
