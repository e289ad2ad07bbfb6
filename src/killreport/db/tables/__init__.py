"""Every table of DESIGN §7; importing this package registers them all on Base.metadata."""

from killreport.db.tables.auth import CorporationKillmailSync, LoginState, Session
from killreport.db.tables.budget import EsiBudgetState
from killreport.db.tables.entity import (
    Alliance,
    AllianceCorporation,
    Category,
    Character,
    Constellation,
    Corporation,
    Group,
    Region,
    SolarSystem,
    Type,
)
from killreport.db.tables.killmail import Attacker, Item, Killmail
from killreport.db.tables.operations import FeedPause, ProcessHeartbeat
from killreport.db.tables.ops import (
    FeedCursor,
    HttpCache,
    JobRun,
    Lease,
    QueueConsumer,
    QueueMessage,
)
from killreport.db.tables.stats import (
    AllianceSnapshot,
    CorporationSnapshot,
    DailyEntityCounter,
    MarketPrice,
)
from killreport.db.tables.user import User, UserCharacter

__all__ = [
    "Alliance",
    "AllianceCorporation",
    "AllianceSnapshot",
    "Attacker",
    "Category",
    "Character",
    "Constellation",
    "Corporation",
    "CorporationKillmailSync",
    "CorporationSnapshot",
    "DailyEntityCounter",
    "EsiBudgetState",
    "FeedCursor",
    "FeedPause",
    "Group",
    "HttpCache",
    "Item",
    "JobRun",
    "Killmail",
    "Lease",
    "LoginState",
    "MarketPrice",
    "ProcessHeartbeat",
    "QueueConsumer",
    "QueueMessage",
    "Region",
    "Session",
    "SolarSystem",
    "Type",
    "User",
    "UserCharacter",
]
