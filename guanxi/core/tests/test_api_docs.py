"""``/api/v1/docs`` is Swagger UI from our own static files (static/vendor/swagger-ui),
never a CDN, and it asks no outside validator about the spec."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings

STATIC = Path(settings.BASE_DIR) / "static"
REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')


def _docs(client) -> str:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    return response.content.decode()


def test_the_docs_page_loads_only_local_files_that_exist(client):
    html = _docs(client)
    references = REFERENCE.findall(html)

    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in references
    assert "/static/vendor/swagger-ui/swagger-ui.css" in references
    for url in references:
        assert url.startswith("/static/"), url
        assert (STATIC / url.removeprefix("/static/")).is_file(), url
    assert "cdn" not in html.lower() and "//" not in "".join(references)


def test_swagger_ui_reads_our_spec_and_no_validator(client):
    html = _docs(client)
    config = json.loads(html.split('id="swagger-settings">', 1)[1].split("</script>", 1)[0])

    assert config["url"] == "/api/v1/openapi.json"
    assert config["validatorUrl"] is None


def test_the_vendored_version_is_recorded():
    versions = (STATIC / "vendor" / "VERSIONS").read_text()
    line = next(line for line in versions.splitlines() if line.startswith("swagger-ui "))
    version = line.split()[1]
    bundle = (STATIC / "vendor" / "swagger-ui" / "swagger-ui-bundle.js").read_text()

    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert f'"{version}"' in bundle  # the files are the version VERSIONS names
    assert "sourceMappingURL" not in (STATIC / "vendor/swagger-ui/swagger-ui.css").read_text()
    assert len(bundle) > 1_000_000  # the built bundle, not a stub


def test_the_spec_has_no_duplicate_keys_so_swagger_ui_can_render_it(client):
    """Swagger UI refuses a spec with a key twice ("duplicated mapping key": a blank docs
    page) — as ``200`` and ``"200"`` from an operation's ``openapi_extra`` once were."""
    duplicates: list[str] = []

    def pairs_hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _value in pairs]
        duplicates.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    json.loads(response.content, object_pairs_hook=pairs_hook)
    assert duplicates == []
