"""blink-mqtt: Blink cameras on an MQTT broker."""

__version__ = "0.1.0"
