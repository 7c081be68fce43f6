# blink-mqtt: starts as root only to hand DATA_DIR / MEDIA_DIR to PUID:PGID, then runs
# as that user (docker-entrypoint.sh). Dependencies come from requirements.lock in their
# own layer, so a code change does not reinstall them.
# go2rtc (RTSP for live view, github.com/AlexxIT/go2rtc) comes from its official image,
# for the architecture being built.
FROM alexxit/go2rtc:1.9.9 AS go2rtc

FROM python:3.11-slim
COPY --from=go2rtc /usr/local/bin/go2rtc /usr/local/bin/go2rtc
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --no-deps -r requirements.lock
RUN useradd --uid 1000 --create-home blink && mkdir -p /data /media
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY pyproject.toml README.md LICENSE ./
COPY blink_mqtt ./blink_mqtt
RUN pip install --no-cache-dir --no-deps . && chmod 0755 /usr/local/bin/docker-entrypoint.sh
ENV DATA_DIR=/data MEDIA_DIR=/media PUID=1000 PGID=1000 LIVEVIEW_HOST=0.0.0.0
EXPOSE 8554
VOLUME ["/data", "/media"]
HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=3 \
    CMD ["blink-mqtt", "health"]
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["run"]
