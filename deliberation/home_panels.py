"""Panels that other apps add to a resident's home page (/me/).

deliberation never imports the apps above it; they register a panel here instead, from
their AppConfig.ready(). A panel is a function of the request that returns rendered HTML,
or None when it has nothing to show this person. The home page shows the panels in the
order they were registered.
"""

from collections.abc import Callable

from django.http import HttpRequest

Panel = Callable[[HttpRequest], str | None]

_panels: list[Panel] = []


def register(panel: Panel) -> Panel:
    if panel not in _panels:
        _panels.append(panel)
    return panel


def render_panels(request: HttpRequest) -> list[str]:
    return [html for html in (panel(request) for panel in _panels) if html]
