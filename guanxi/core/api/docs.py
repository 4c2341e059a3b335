"""The API's interactive documentation (``/api/v1/docs``), served from our own static files.

Django Ninja's default page loads Swagger UI from a CDN — blocked or slow in mainland China
and absent offline — unless ``ninja`` is an installed app, and then it serves the copy
bundled with whatever Ninja version is installed. Ours is the vendored ``swagger-ui-dist``
under ``static/vendor/swagger-ui/`` (version in ``static/vendor/VERSIONS``), like every
other front-end library of the product. The page makes no request to another host: the
spec validator badge (validator.swagger.io) is switched off.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

TEMPLATE = "core/api_docs.html"


class LocalSwagger(Swagger):
    default_settings: dict[str, Any] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        # Swagger UI otherwise sends the spec to validator.swagger.io for its badge.
        "validatorUrl": None,
    }

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings),
            "api": api,
            # Session callers send the CSRF token as ``X-CSRFToken`` (config/api.py SessionAuth)
            "add_csrf": True,
        }
        return render(request, TEMPLATE, context)
