"""Simulated time passing: characters move, corporations leave and join, alliances close."""

from __future__ import annotations

import logging

from killreport.sim.names import word
from killreport.sim.state import SimState

logger = logging.getLogger(__name__)


def advance_universe(
    state: SimState, days: int = 1, change_fraction: float = 0.01
) -> dict[str, int]:
    """Move simulated time by `days` and change `change_fraction` of each kind of entity."""
    state.clock.offset_s += days * 86_400
    now_s = state.clock.now()
    universe, rng = state.universe, state.rng
    active_alliances = [a for a in universe.alliances.values() if not a.closed]
    player_corps = [c for c in universe.corporations.values() if not c.npc and not c.closed]
    ceos = {c.ceo_id for c in universe.corporations.values()}
    movers = [c for c in universe.characters.values() if not c.npc and c.character_id not in ceos]
    changes = {"characters_moved": 0, "corporations_moved": 0, "alliances_closed": 0, "renamed": 0}
    if change_fraction <= 0 or not player_corps:
        universe.changed()
        return changes

    def share(count: int) -> int:
        return min(count, max(1, round(count * change_fraction)))

    for character in rng.sample(movers, share(len(movers))) if movers else []:
        old = universe.corporations[character.corporation_id]
        new = rng.choice(player_corps)
        if new.corporation_id == old.corporation_id:
            continue
        old.member_count -= 1
        new.member_count += 1
        old.modified_at = new.modified_at = character.modified_at = now_s
        character.corporation_id = new.corporation_id
        universe.directors.discard(character.character_id)
        changes["characters_moved"] += 1
    for corporation in rng.sample(player_corps, share(len(player_corps))):
        alliance = universe.alliances.get(corporation.alliance_id or 0)
        if alliance is not None:
            if alliance.executor_corporation_id == corporation.corporation_id:
                continue  # executors stay; their alliance closes instead
            corporation.alliance_id = None
        elif active_alliances:
            corporation.alliance_id = rng.choice(active_alliances).alliance_id
        corporation.modified_at = now_s
        changes["corporations_moved"] += 1
    for alliance in (
        rng.sample(active_alliances, share(len(active_alliances)))
        if len(active_alliances) > 1
        else []
    ):
        alliance.closed = True
        alliance.modified_at = now_s
        for corporation in universe.corporations.values():
            if corporation.alliance_id == alliance.alliance_id:
                corporation.alliance_id = None
                corporation.modified_at = now_s
        changes["alliances_closed"] += 1
    for character in rng.sample(movers, share(len(movers))) if movers else []:
        character.name = f"{word(rng, 2)} {word(rng, 2)} {character.character_id % 997}"
        character.modified_at = now_s
        changes["renamed"] += 1
    for corporation in rng.sample(player_corps, share(len(player_corps))):
        corporation.name = f"{word(rng, 3)} {corporation.corporation_id % 997}"
        corporation.modified_at = now_s
        changes["renamed"] += 1
    universe.changed()
    logger.info("advanced %d days: %s", days, changes)
    return changes
