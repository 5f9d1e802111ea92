import os

from django.core.wsgi import get_wsgi_application

from conduit.deployment import refuse_to_serve
from conduit.edge import ChunkedBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conduit.settings")

application = ChunkedBodies(get_wsgi_application())
# DEBUG off without a strong SECRET_KEY or an EMAIL_URL: one line, and no server.
refuse_to_serve()
