"""Message bus: queue contracts, the MessageBus protocol, RabbitMQ and embedded implementations."""
