"""Operating the event system: what operators read and do.

stats (published per type, handler outcomes, backlog), catalog (every event type and its
subscribers), redelivery (hand failed deliveries back to the worker), metrics (the Prometheus
exposition), checks (system checks). Django finds their entry points where it looks for them:
events/admin.py, events/management/commands/ and events/api/views.py, each thin.
"""
