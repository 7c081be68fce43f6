#!/bin/sh
# Writes the compose broker's password file and ACL from .env (run by the
# `mosquitto-init` service before mosquitto starts, on every `docker compose up`).
#   MQTT_USERNAME / MQTT_PASSWORD        the bridge's user: only its own topics
#   HA_MQTT_USERNAME / HA_MQTT_PASSWORD  optional second user for Home Assistant,
#                                        Node-RED and scripts
#   MQTT_BASE_TOPIC, HA_DISCOVERY_PREFIX as the bridge uses them
# AUTH_DIR (default /mosquitto/auth) receives `passwd` and `acl`.
set -eu
AUTH_DIR="${AUTH_DIR:-/mosquitto/auth}"
: "${MQTT_USERNAME:?set MQTT_USERNAME in .env (the bridge's user on the broker)}"
: "${MQTT_PASSWORD:?set MQTT_PASSWORD in .env (the bridge's password on the broker)}"
PREFIX="${HA_DISCOVERY_PREFIX:-homeassistant}"
if [ -n "${MQTT_BASE_TOPIC:-}" ]; then
    BASES="$MQTT_BASE_TOPIC"
else
    BASES="blink blink-demo"  # the account's default and the demo's default
fi

mkdir -p "$AUTH_DIR"
umask 077
rm -f "$AUTH_DIR/passwd.new"
touch "$AUTH_DIR/passwd.new"
mosquitto_passwd -b "$AUTH_DIR/passwd.new" "$MQTT_USERNAME" "$MQTT_PASSWORD"
{
    echo "# written by mosquitto/init.sh from .env"
    echo "user $MQTT_USERNAME"
    for base in $BASES; do echo "topic readwrite $base/#"; done
    echo "topic read $PREFIX/status"
    echo "topic readwrite $PREFIX/device/+/config"
} > "$AUTH_DIR/acl.new"
if [ -n "${HA_MQTT_USERNAME:-}" ]; then
    : "${HA_MQTT_PASSWORD:?set HA_MQTT_PASSWORD in .env (or remove HA_MQTT_USERNAME)}"
    mosquitto_passwd -b "$AUTH_DIR/passwd.new" "$HA_MQTT_USERNAME" "$HA_MQTT_PASSWORD"
    {
        echo "user $HA_MQTT_USERNAME"
        for base in $BASES; do echo "topic readwrite $base/#"; done
        echo "topic readwrite $PREFIX/#"
    } >> "$AUTH_DIR/acl.new"
fi
# mosquitto reads them after dropping to its own user
chown mosquitto:mosquitto "$AUTH_DIR/passwd.new" "$AUTH_DIR/acl.new" 2>/dev/null || true
mv "$AUTH_DIR/passwd.new" "$AUTH_DIR/passwd"
mv "$AUTH_DIR/acl.new" "$AUTH_DIR/acl"
echo "mosquitto users written: $MQTT_USERNAME${HA_MQTT_USERNAME:+ $HA_MQTT_USERNAME}"
