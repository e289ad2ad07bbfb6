"""Choose the message bus from the settings: RabbitMQ when a broker URL is set, else embedded."""

from __future__ import annotations

from killreport.bus.embedded import EmbeddedBus
from killreport.bus.protocol import MessageBus
from killreport.db.engine import Database
from killreport.settings import Settings


def create_bus(settings: Settings, database: Database) -> MessageBus:
    """The deployment's bus; nothing connects until it is first used."""
    if settings.broker_url:
        from killreport.bus.rabbitmq import RabbitBus

        return RabbitBus(
            settings.broker_url,
            publish_timeout_s=settings.broker_publish_timeout_s,
            reconnect_interval_s=settings.broker_reconnect_interval_s,
            management_url=settings.broker_management_url,
        )
    return EmbeddedBus(
        database,
        visibility_timeout_s=settings.queue_visibility_timeout_s,
        poll_interval_s=settings.queue_poll_interval_s,
    )
