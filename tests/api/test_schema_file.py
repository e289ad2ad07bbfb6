"""`schema.graphql` at the repository root is the SDL the code serves."""

from __future__ import annotations

from pathlib import Path

from killreport.api.graphql.schema import printed_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
REGENERATE = (
    ".venv/bin/python -c 'from killreport.api.graphql.schema import printed_schema; "
    'print(printed_schema(), end="")\' > schema.graphql'
)


def test_committed_sdl_matches_the_code() -> None:
    # given the committed SDL
    committed = SCHEMA_FILE.read_text()
    # when the schema is printed from the code
    printed = printed_schema()
    # then they are the same (after a schema change, regenerate with REGENERATE)
    assert committed == printed, f"schema.graphql drifted from the code; run: {REGENERATE}"
    assert "workerStatus: [WorkerStatus!]!" in printed
