"""Pick the transport from a broker URL: the scheme names the broker."""

from __future__ import annotations

from .messaging_app import Transport

SCHEMES = ("memory", "amqp", "amqps", "nats", "tls", "redis", "rediss", "mqtt", "kafka")


def transport_for(broker_url: str | None) -> Transport:
    """``None`` or ``memory://`` -> in memory; ``amqp://`` -> RabbitMQ; ``nats://`` -> NATS JetStream;
    ``redis://`` -> Redis Streams; ``mqtt://`` -> MQTT 5;
    ``kafka://`` -> Kafka (FastStream)."""
    scheme = (broker_url or "memory://").split("://", 1)[0].lower()
    if scheme == "memory":
        from .messaging_memory import MemoryTransport

        return MemoryTransport()
    if scheme in ("amqp", "amqps"):
        from .messaging_amqp import AmqpTransport

        return AmqpTransport(broker_url or "")
    if scheme in ("nats", "tls"):
        from .messaging_nats import NatsTransport

        return NatsTransport(broker_url or "")
    if scheme in ("redis", "rediss"):
        from .messaging_redis import RedisTransport

        return RedisTransport(broker_url or "")
    if scheme == "mqtt":
        from .messaging_mqtt import MqttTransport

        return MqttTransport(broker_url or "")
    if scheme == "kafka":
        from .messaging_kafka import KafkaTransport

        return KafkaTransport(broker_url or "")
    raise ValueError(f"unsupported broker URL scheme {scheme!r}: use one of {', '.join(s + '://' for s in SCHEMES)}")
