"""A killmail filter round-trips through the URL query, and becomes the GraphQL input."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from killreport.api.pages.filterquery import (
    FilterQueryError,
    ListQuery,
    graphql_filter,
    parse_list_query,
    query_string,
)
from killreport.killmails.filters import (
    KillmailFilter,
    KillmailOrder,
    ParticipantFilter,
    SecuritySpace,
)

FULL = ListQuery(
    KillmailFilter(
        involved=ParticipantFilter(character_ids=(90000001, 90000002)),
        victim=ParticipantFilter(alliance_ids=(99000001,), ship_group_ids=(419,)),
        attacker=ParticipantFilter(corporation_ids=(98000001,), faction_ids=(500001,),
                                   ship_type_ids=(587,)),
        solar_system_ids=(30000142,),
        constellation_ids=(20000020,),
        region_ids=(10000002,),
        security_space=(SecuritySpace.LOWSEC, SecuritySpace.NULLSEC),
        min_value=1e9,
        max_value=2.5e10,
        min_attackers=2,
        max_attackers=50,
        since=datetime(2026, 11, 1, tzinfo=UTC),
        until=datetime(2026, 11, 30, 12, 30, tzinfo=UTC),
        solo=False,
        npc=True,
        awox=False,
        labels=("loc:lowsec", "pvp"),
    ),
    KillmailOrder.VALUE_DESC,
)  # fmt: skip


def test_every_filter_field_round_trips_through_the_url() -> None:
    # given a list query with every filter field set
    # when it is written as a URL query and read back
    text = query_string(FULL)
    back = parse_list_query(parse_qs(text))
    # then it is the same query, and the URL names fields as GraphQL does
    assert back == FULL
    assert "victimAllianceIds=99000001" in text
    assert "securitySpace=LOWSEC&securitySpace=NULLSEC" in text
    assert "since=2026-11-01&until=2026-11-30T12%3A30" in text


def test_empty_form_fields_and_comma_lists_are_read() -> None:
    # given a form submission with empty fields and a comma-separated id list
    params = {"involvedCharacterIds": ["1, 2"], "minValue": [""], "solo": [""], "regionIds": [""]}
    # then the empty fields restrict nothing
    assert parse_list_query(params) == ListQuery(
        KillmailFilter(involved=ParticipantFilter(character_ids=(1, 2)))
    )


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"victimAllianceIds": ["abc"]}, "victimAllianceIds"),
        ({"securitySpace": ["MOON"]}, "securitySpace"),
        ({"minValue": ["lots"]}, "minValue"),
        ({"since": ["yesterday"]}, "since"),
        ({"npc": ["maybe"]}, "npc"),
        ({"orderBy": ["RANDOM"]}, "orderBy"),
    ],
)
def test_bad_values_are_refused_naming_the_field(params: dict[str, list[str]], named: str) -> None:
    # given a bad value, when parsed, then the error names the parameter
    with pytest.raises(FilterQueryError, match=named):
        parse_list_query(params)


def test_the_graphql_input_uses_camel_case_and_string_ids() -> None:
    # given the full filter, when turned into the GraphQL input
    value = graphql_filter(FULL.filter)
    # then ids are strings (ID!), enums their names, and unset fields are left out
    assert value["victim"] == {"allianceIds": ["99000001"], "shipGroupIds": ["419"]}
    assert value["solarSystemIds"] == ["30000142"]
    assert value["securitySpace"] == ["LOWSEC", "NULLSEC"]
    assert value["since"] == "2026-11-01T00:00:00Z"
    assert value["minValue"] == 1e9 and value["npc"] is True and value["solo"] is False
    assert graphql_filter(KillmailFilter()) == {}
