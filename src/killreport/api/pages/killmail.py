"""`/kill/{id}/`: one killmail (victim, fitting, items, attackers), and its list row for live."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from killreport.api.pages.dependencies import PagesDep, SessionDep
from killreport.api.pages.errors import PageNotFound
from killreport.api.pages.killlist import kill_rows, parse_perspective
from killreport.api.pages.names import NameBook
from killreport.api.pages.routing import PageRoute
from killreport.killmails.detail import AttackerDetail, ItemDetail, KillmailDetail
from killreport.killmails.queries import get_killmail

# Fitting racks in the order a fitting window shows them: (attribute, heading).
RACKS = (
    ("high", "High slots"),
    ("mid", "Medium slots"),
    ("low", "Low slots"),
    ("rig", "Rigs"),
    ("subsystem", "Subsystems"),
    ("service", "Service slots"),
)
# Loose item groups after the racks: (attribute, heading).
HOLDS = (
    ("drones", "Drone bay"),
    ("fighters", "Fighters"),
    ("implants", "Implants"),
    ("boosters", "Boosters"),
    ("cargo", "Cargo and holds"),
)


@dataclass(frozen=True, slots=True)
class AttackerLine:
    """An attacker as the page lists it: its share of the damage and whether it did the most."""

    attacker: AttackerDetail
    share: float
    top_damage: bool


def attacker_lines(killmail: KillmailDetail) -> list[AttackerLine]:
    """Final blow first, then by damage done (most first), with damage shares."""
    attackers = killmail.attackers
    total = sum(a.damage_done for a in attackers) or killmail.victim_damage_taken or 1
    top = max((a.damage_done for a in attackers), default=0)
    ordered = sorted(attackers, key=lambda a: (not a.final_blow, -a.damage_done, a.position))
    return [
        AttackerLine(a, a.damage_done / total, top > 0 and a.damage_done == top) for a in ordered
    ]


def item_state(item: ItemDetail) -> str:
    """'dropped' or 'destroyed' (ESI gives exactly one quantity per line)."""
    return "dropped" if item.quantity_dropped else "destroyed"


async def killmail_page(
    request: Request, killmail_id: int, pages: PagesDep, session: SessionDep
) -> Response:
    """The killmail page; immutable, so it carries an ETag."""
    killmail = await get_killmail(session, killmail_id)
    if killmail is None:
        raise PageNotFound("killmail")
    names = NameBook()
    names.want_killmail(killmail, items=True)
    await names.load(session)
    return await pages.render(
        request,
        "killmail.html",
        {
            "km": killmail,
            "names": names,
            "fitting": killmail.fitting,
            "racks": RACKS,
            "holds": HOLDS,
            "attackers": attacker_lines(killmail),
            "item_state": item_state,
        },
        etag=True,
    )


async def killmail_row(
    request: Request, killmail_id: int, pages: PagesDep, session: SessionDep
) -> Response:
    """One kill-list row (for live lists); `as` colours it for an entity page."""
    killmail = await get_killmail(session, killmail_id)
    if killmail is None:
        raise PageNotFound("killmail")
    perspective = parse_perspective(request.query_params.get("as"))
    rows, names = await kill_rows(session, [killmail], perspective)
    return await pages.render(request, "kill_row.html", {"row": rows[0], "names": names})


ROUTES = (
    PageRoute("/kill/{killmail_id}/", killmail_page, "killmail"),
    PageRoute("/kill/{killmail_id}/row", killmail_row, "killmail_row"),
)
