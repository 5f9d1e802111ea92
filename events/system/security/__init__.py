"""Account protection: the login audit, account lockout, suspicious-login detection and the
rate limits (docs/security.md).

Enforcement is synchronous, in the request: a locked account's login is refused through
users' `login_checking` hook (hooks.py), an exhausted rate through DRF's throttling
(throttling.py). Detection is done by receivers of the security events (receivers.py).
services.py is the only place that publishes those events (events/system/security/events.py).
"""
