import os

from django.core.asgi import get_asgi_application

from conduit.deployment import refuse_to_serve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conduit.settings")

application = get_asgi_application()
# DEBUG off without a strong SECRET_KEY or an EMAIL_URL: one line, and no server.
refuse_to_serve()
