"""R2Z2, zKillboard's killmail firehose: the sequence, ephemeral entries and daily history."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError

from killreport.zkb.errors import ZkbError, ZkbNotFound
from killreport.zkb.fetcher import ZkbFetcher
from killreport.zkb.models import R2Z2Entry

_HISTORY: TypeAdapter[dict[int, str]] = TypeAdapter(dict[int, str])
_TOTALS: TypeAdapter[dict[str, int]] = TypeAdapter(dict[str, int])
_ENTRY: TypeAdapter[R2Z2Entry] = TypeAdapter(R2Z2Entry)


def _validate(adapter: TypeAdapter[Any], data: Any, url: str) -> Any:
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        message = str(exc).splitlines()[0]
        raise ZkbError(f"unexpected body from {url}: {message}", status=200, url=url) from exc


class R2Z2Client:
    """Reads `sequence.json`, `{n}.json` and `history/YYYYMMDD.json`."""

    def __init__(self, fetcher: ZkbFetcher, base_url: str) -> None:
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")

    async def sequence(self) -> int:
        """The latest published sequence number (it lags: re-published every ~51 kills)."""
        url = f"{self.base_url}/ephemeral/sequence.json"
        body = await self.fetcher.get_json(url)
        if not isinstance(body, dict) or not isinstance(body.get("sequence"), int):
            raise ZkbError(f"unexpected body from {url}", status=200, url=url)
        return int(body["sequence"])

    async def entry(self, sequence: int) -> R2Z2Entry | None:
        """Entry `sequence`, or None when it is not published yet (404: wait ~6 s)."""
        url = f"{self.base_url}/ephemeral/{sequence}.json"
        try:
            body = await self.fetcher.get_json(url)
        except ZkbNotFound:
            return None
        entry: R2Z2Entry = _validate(_ENTRY, body, url)
        return entry

    async def history(self, day: date) -> dict[int, str]:
        """Every killmail id of a UTC day with its hash (404 when the day has no dump)."""
        url = f"{self.base_url}/history/{day:%Y%m%d}.json"
        history: dict[int, str] = _validate(_HISTORY, await self.fetcher.get_json(url), url)
        return history

    async def history_totals(self) -> dict[str, int]:
        """Kills per day, keyed YYYYMMDD, for finding days to repair."""
        url = f"{self.base_url}/history/totals.json"
        totals: dict[str, int] = _validate(_TOTALS, await self.fetcher.get_json(url), url)
        return totals
