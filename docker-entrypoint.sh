#!/bin/sh
# Entry point of the blink-mqtt image.
# As root (the default): create DATA_DIR and MEDIA_DIR, give them to PUID:PGID (default
# 1000:1000) when they belong to someone else (e.g. ./data created by Docker as root),
# then run blink-mqtt as PUID:PGID. As another user (`user:` in compose): check that the
# directories are writable and say how to fix them when not.
# `run` and `demo` first wait up to WAIT_FOR_BROKER seconds (default 30) for MQTT_HOST.
set -eu

PUID="${PUID:-1000}"
PGID="${PGID:-1000}"
DATA_DIR="${DATA_DIR:-/data}"
MEDIA_DIR="${MEDIA_DIR:-/media}"

[ $# -gt 0 ] || set -- run
case "$1" in
    run | demo | login | health | check-config | simulator | -*) set -- blink-mqtt "$@" ;;
esac

wait_for_broker() {
    [ -n "${MQTT_HOST:-}" ] || return 0
    python3 - "$MQTT_HOST" "${MQTT_PORT:-1883}" "${WAIT_FOR_BROKER:-30}" <<'PY'
import socket, sys, time
host, port, wait = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + wait
while True:
    try:
        socket.create_connection((host, port), timeout=2).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            break  # blink-mqtt itself then says what is wrong, in one line
        time.sleep(1)
PY
}

if [ "$(id -u)" = 0 ]; then
    for dir in "$DATA_DIR" "$MEDIA_DIR"; do
        mkdir -p "$dir"
        if [ "$(stat -c %u:%g "$dir")" != "$PUID:$PGID" ]; then
            chown -R "$PUID:$PGID" "$dir"
        fi
    done
    case "$*" in "blink-mqtt run"* | "blink-mqtt demo"*) wait_for_broker ;; esac
    exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- "$@"
fi

for dir in "$DATA_DIR" "$MEDIA_DIR"; do
    mkdir -p "$dir" 2>/dev/null || true
    if [ ! -w "$dir" ]; then
        echo "blink-mqtt: $dir is not writable by uid $(id -u); on the host run: sudo chown -R $(id -u):$(id -g) <the directory mounted at $dir>" >&2
        exit 1
    fi
done
case "$*" in "blink-mqtt run"* | "blink-mqtt demo"*) wait_for_broker ;; esac
exec "$@"
