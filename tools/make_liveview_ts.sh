#!/usr/bin/env bash
# Remux the simulator's sample clip into the MPEG-TS its live view streams
# (blink_mqtt/simulator/assets/liveview.ts). Run once when clip.mp4 changes; the
# simulator itself never needs ffmpeg.
set -euo pipefail
cd "$(dirname "$0")/../blink_mqtt/simulator/assets"
ffmpeg -loglevel error -y -i clip.mp4 -map 0:v:0 -c copy -bsf:v h264_mp4toannexb \
    -f mpegts -mpegts_flags +resend_headers -fflags +bitexact liveview.ts
