"""The archive reader: EVE Ref tar.bz2, zKillboard daily dumps and JSON Lines, built in tmp_path."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from killreport import container as container_module
from killreport.jobs.archives import ArchiveError, open_documents
from killreport.jobs.imports import import_paths, parse_document
from killreport.killmails.models import ParsedKillmail, Rejection
from killreport.settings import Settings
from tests.killmails.corpus import corpus, everef_line

ROWS = corpus()[:4]


def _zkb(row: dict[str, Any]) -> dict[str, Any]:
    return {"hash": row["killmail_hash"], "totalValue": 1234.5, "points": 7, "npc": False}


def _read(path: Path) -> tuple[list[ParsedKillmail | Rejection], list[str], int]:
    reader, documents = open_documents(path)
    try:
        docs = list(documents)
    finally:
        reader.close()
    return [parse_document(d, "test") for d in docs], [d.origin for d in docs], reader.bytes_read


def _everef(path: Path, rows: tuple[dict[str, Any], ...]) -> None:
    with tarfile.open(path, "w:bz2") as archive:
        folder = tarfile.TarInfo("killmails")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        for row in rows:
            data = json.dumps(everef_line(row)).encode()
            member = tarfile.TarInfo(f"killmails/{row['killmail_id']}.json")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
        readme = tarfile.TarInfo("README.txt")
        readme.size = 5
        archive.addfile(readme, io.BytesIO(b"hello"))


def test_everef_tar_bz2_gives_each_member_as_a_killmail(tmp_path: Path) -> None:
    # given an EVE Ref daily archive: a folder, one JSON member per killmail, a README
    path = tmp_path / "killmails-2024-01-01.tar.bz2"
    _everef(path, ROWS)
    # when read
    parsed, origins, bytes_read = _read(path)
    # then each JSON member is one killmail with its hash, named by its member path
    assert [(p.killmail_id, p.killmail_hash) for p in parsed] == [  # type: ignore[union-attr]
        (r["killmail_id"], r["killmail_hash"]) for r in ROWS
    ]
    assert origins == [f"{path.name}:killmails/{r['killmail_id']}.json" for r in ROWS]
    assert bytes_read == path.stat().st_size


def test_zkillboard_daily_dump_array_with_zkb_blocks(tmp_path: Path) -> None:
    # given a zKillboard raw daily dump: one JSON array of ESI bodies with their zkb blocks
    path = tmp_path / "2024-01-01.json"
    path.write_text(json.dumps([{**r["esi"], "zkb": _zkb(r)} for r in ROWS]))
    # when read, then the killmails come in order with zKillboard's values
    parsed, origins, _ = _read(path)
    assert [p.killmail_id for p in parsed] == [r["killmail_id"] for r in ROWS]  # type: ignore[union-attr]
    assert all(isinstance(p, ParsedKillmail) and p.zkb is not None for p in parsed)
    first = parsed[0]
    assert isinstance(first, ParsedKillmail) and first.zkb is not None
    assert (first.zkb.total_value, first.zkb.points, first.zkb.hash) == (
        1234.5,
        7,
        ROWS[0]["killmail_hash"],
    )
    assert origins == [f"{path.name}:{n}" for n in range(1, len(ROWS) + 1)]


@pytest.mark.parametrize("suffix", [".json.gz", ".json.bz2"])
def test_zkillboard_daily_dump_keyed_by_id_compressed(tmp_path: Path, suffix: str) -> None:
    # given a dump as an object keyed by killmail id, gzip or bzip2 compressed
    body = {str(r["killmail_id"]): {**r["esi"], "zkb": _zkb(r)} for r in ROWS}
    raw = json.dumps(body, indent=1).encode()
    path = tmp_path / f"2024-01-01{suffix}"
    path.write_bytes(gzip.compress(raw) if suffix.endswith(".gz") else bz2.compress(raw))
    # when read, then each value is a killmail and its key names it
    parsed, origins, _ = _read(path)
    assert [p.killmail_id for p in parsed] == [r["killmail_id"] for r in ROWS]  # type: ignore[union-attr]
    assert origins == [f"{path.name}:{r['killmail_id']}" for r in ROWS]


def test_a_bad_element_is_a_rejection_and_the_rest_is_read(tmp_path: Path) -> None:
    # given a dump whose second element lacks its victim, and a JSON Lines file with bad JSON
    elements = [{**r["esi"], "zkb": _zkb(r)} for r in ROWS[:3]]
    del elements[1]["victim"]
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps(elements))
    lines = tmp_path / "lines.jsonl"
    lines.write_text(json.dumps(everef_line(ROWS[0])) + "\n{not json\n\n")
    # when read, then the bad ones are rejections with their origin and reason
    parsed, _, _ = _read(dump)
    assert isinstance(parsed[0], ParsedKillmail) and isinstance(parsed[2], ParsedKillmail)
    assert parsed[1] == Rejection(ROWS[1]["killmail_id"], "missing victim", "dump.json:2")
    parsed, _, _ = _read(lines)
    assert isinstance(parsed[0], ParsedKillmail) and len(parsed) == 2
    assert isinstance(parsed[1], Rejection) and parsed[1].origin == "lines.jsonl:2"
    assert parsed[1].reason.startswith("bad JSON")


def test_unknown_and_broken_files_raise_archive_error(tmp_path: Path) -> None:
    # given a file of unknown kind, and a dump cut off in the middle
    unknown = tmp_path / "killmails.csv"
    unknown.write_text("id,hash\n")
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps([r["esi"] for r in ROWS])[:-200])
    # then neither reads
    with pytest.raises(ArchiveError, match="unknown format"):
        open_documents(unknown)
    with pytest.raises(ArchiveError):
        _read(cut)


async def test_import_of_an_everef_archive_stores_its_killmails(
    embedded_settings: Settings, tmp_path: Path
) -> None:
    # given an EVE Ref archive
    path = tmp_path / "killmails-2024-01-01.tar.bz2"
    _everef(path, ROWS)
    async with container_module.build(embedded_settings) as container:
        # when imported twice
        first = await import_paths(container.database, None, None, [path], check_missing=False)
        again = await import_paths(container.database, None, None, [path], check_missing=False)
    # then every killmail is new once, then a duplicate
    assert (first.new, first.duplicate, first.rejected) == (len(ROWS), 0, 0)
    assert (again.new, again.duplicate, again.rejected) == (0, len(ROWS), 0)


async def test_import_rejects_a_line_whose_hash_is_not_40_hex_digits(
    embedded_settings: Settings, tmp_path: Path
) -> None:
    # given a JSON Lines file with a good line and a hand-edited one (hash "zz")
    edited = {**everef_line(ROWS[1]), "killmail_hash": "zz"}
    path = tmp_path / "edited.jsonl"
    path.write_text(json.dumps(everef_line(ROWS[0])) + "\n" + json.dumps(edited) + "\n")
    async with container_module.build(embedded_settings) as container:
        # when imported
        summary = await import_paths(container.database, None, None, [path], check_missing=False)
    # then the edited line is a rejection with its reason and origin, the other is stored
    assert (summary.new, summary.rejected) == (1, 1)
    assert summary.examples == [
        Rejection(
            ROWS[1]["killmail_id"],
            "killmail_hash must be 40 hexadecimal characters, got 'zz'",
            "edited.jsonl:2",
        )
    ]
