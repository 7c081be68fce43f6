FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY blink_mqtt ./blink_mqtt
RUN pip install --no-cache-dir . && useradd --create-home blink && mkdir -p /data /media \
    && chown blink /data /media
USER blink
ENV DATA_DIR=/data MEDIA_DIR=/media
VOLUME ["/data", "/media"]
ENTRYPOINT ["blink-mqtt"]
CMD ["run"]
