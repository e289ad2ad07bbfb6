"""EVE image server URLs (portraits, logos, renders, icons) from the configured base URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# The sizes the image server serves; a request is rounded up to the next one.
IMAGE_SIZES: Final = (32, 64, 128, 256, 512, 1024)

# Entity kind (as the pages name it) -> (image server category, variation).
_CATEGORIES: Final[dict[str, tuple[str, str]]] = {
    "character": ("characters", "portrait"),
    "corporation": ("corporations", "logo"),
    "alliance": ("alliances", "logo"),
    "faction": ("corporations", "logo"),
    "ship": ("types", "render"),
    "type": ("types", "icon"),
}


def image_size(size: int) -> int:
    """The smallest served size at least `size` (so the image is never blown up)."""
    for served in IMAGE_SIZES:
        if served >= size:
            return served
    return IMAGE_SIZES[-1]


@dataclass(frozen=True, slots=True)
class ImageServer:
    """Builds image URLs; `base_url` comes from the `image_server_url` setting."""

    base_url: str

    def url(self, kind: str, entity_id: int | None, size: int) -> str | None:
        """The image URL of an entity, or None when there is no id (the template shows a box)."""
        if entity_id is None:
            return None
        category, variation = _CATEGORIES[kind]
        # Displayed at `size` CSS pixels; twice that keeps it sharp on high-density screens.
        return f"{self.base_url}/{category}/{entity_id}/{variation}?size={image_size(size * 2)}"
