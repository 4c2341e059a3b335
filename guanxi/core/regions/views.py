"""The province → city → district cascade: one fragment that re-renders its three selects
whenever one of them changes (htmx), keeping what is still valid."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from guanxi.core import regions

CASCADE = "regions/cascade.html"


def cascade_context(
    province: str = "", city: str = "", district: str = "", *, small: bool = False
) -> dict[str, Any]:
    """The cascade's choices for the given (possibly partial or stale) selection. A stored
    value the data does not know (an old free-text city) stays selectable as it is."""
    found_province = regions.find_province(province)
    found_city = regions.find_city(city, found_province) if found_province else None
    found_district = regions.find_district(district, found_city) if found_city else None
    return {
        "region_provinces": [p.short for p in regions.provinces()],
        "region_cities": [c.short for c in found_province.children] if found_province else [],
        "region_districts": [d.short for d in found_city.children] if found_city else [],
        "region_province": found_province.short if found_province else province,
        "region_city": found_city.short if found_city else city,
        "region_district": found_district.short if found_district else district,
        "region_small": small,
    }


@require_GET
@login_required
def cascade(request: HttpRequest) -> HttpResponse:
    get = request.GET
    context = cascade_context(
        get.get("province", "")[:30],
        get.get("city", "")[:30],
        get.get("district", "")[:30],
        small=get.get("small") == "1",
    )
    return render(request, f"{CASCADE}#cascade", context)
