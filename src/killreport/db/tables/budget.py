"""The ESI budget of the embedded deployment, shared by every process on one database."""

from __future__ import annotations

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from killreport.db.base import Base


class EsiBudgetState(Base):
    """One budget's whole state (admissions, in flight, error window, groups) as JSON.

    Every admission and settle is one transaction on this row (`BEGIN IMMEDIATE` on
    SQLite, `FOR UPDATE` on PostgreSQL), so processes on one database share one budget.
    """

    __tablename__ = "esi_budget_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(Text)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
