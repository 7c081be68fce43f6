"""Every option of the bridge: its environment name, default and meaning.

Settings come from the environment and from a `.env` file in the working directory
(the environment wins). Names are case-insensitive. `load_settings()` turns every
validation problem into one `ConfigError` line naming the variable; it never exits.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
import os
import socket
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from blink_mqtt.errors import ConfigError

log = logging.getLogger(__name__)

MIN_SANE_REFRESH = 30
LEGACY_NAMES = {"USERNAME": "BLINK_USERNAME", "PASSWORD": "BLINK_PASSWORD"}
SECRET_FILE_SETTINGS = (
    "BLINK_USERNAME",
    "BLINK_PASSWORD",
    "MQTT_USERNAME",
    "MQTT_PASSWORD",
    "HTTP_USERNAME",
    "HTTP_PASSWORD",
    "HTTP_TOKEN",
)
"""Each may instead be read from the file named by `<NAME>_FILE` (Docker secrets)."""
COMPOSE_NAMES = (
    "PUID",
    "PGID",
    "MQTT_BIND",
    "HA_MQTT_USERNAME",
    "HA_MQTT_PASSWORD",
    "WAIT_FOR_BROKER",
)
"""Read by docker-compose.yml from the same `.env`, not by the bridge."""
URL_SCHEMES = ("http", "https")
HTTP_ROUTE_PREFIXES = frozenset({"api", "ui"})
"""Path prefixes of the HTTP server's own routes: MEDIA_DIR, served under its folder's
name, may not be named so while HTTP is on."""


def _protocol(value: object) -> object:
    """Accept the spellings people use for the two MQTT versions."""
    text = str(value).strip().lower().removeprefix("mqttv").removeprefix("v")
    return {"5": "5", "5.0": "5", "3.1.1": "3.1.1", "311": "3.1.1", "4": "3.1.1"}.get(text, value)


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


class Settings(BaseSettings):
    """All settings; the field name upper-cased is the environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    blink_username: str | None = Field(None, description="Blink account e-mail")
    blink_password: SecretStr | None = Field(None, description="Blink account password")
    blink_credentials_file: Path | None = Field(
        None, description="Saved login (refresh token); default `credentials.json` in DATA_DIR"
    )
    blink_simulator_url: str | None = Field(
        None, description="Send all Blink traffic to this simulator URL instead of the cloud"
    )
    data_dir: Path = Field(Path("data"), description="Credentials, clip index and cursors")
    mqtt_host: str = Field("localhost", description="MQTT broker host")
    mqtt_port: int = Field(1883, ge=1, le=65535, description="MQTT broker port")
    mqtt_username: str | None = Field(None, description="MQTT user name")
    mqtt_password: SecretStr | None = Field(None, description="MQTT password")
    mqtt_tls: bool = Field(False, description="Use TLS to the broker")
    mqtt_ca_file: Path | None = Field(None, description="CA bundle for MQTT TLS")
    mqtt_client_id: str = Field("blink-mqtt", min_length=1, description="MQTT client id")
    mqtt_protocol: Annotated[Literal["5", "3.1.1"], BeforeValidator(_protocol)] = Field(
        "5", description="MQTT protocol version: 5 or 3.1.1"
    )
    mqtt_base_topic: str = Field("blink", description="Prefix of every topic")
    ha_discovery: bool = Field(True, description="Publish Home Assistant discovery")
    ha_discovery_prefix: str = Field("homeassistant", description="HA discovery prefix")
    media_dir: Path = Field(Path("media"), description="Where snapshots and clips are saved")
    public_base_url: str | None = Field(
        None, description="URL under which MEDIA_DIR's parent is served"
    )
    last_image_filename: str = Field(
        "last_snap.jpg", description="File name of a camera's snapshot"
    )
    timedelta_hours: float = Field(6, ge=0, description="First download-recent looks back this far")
    recents_hours: float = Field(
        0, ge=0, description="latest/ keeps clips of the last N hours (0: use RECENTS_TOTAL)"
    )
    recents_total: int = Field(20, ge=0, description="latest/ keeps the N newest clips")
    sort_clips: bool = Field(True, description="Default of `sort`: file clips by date")
    refresh_interval: float = Field(60, gt=0, description="Seconds between polls of Blink")
    auto_download: bool = Field(False, description="Archive new clips after each poll")
    download_concurrency: int = Field(2, ge=1, le=16, description="Parallel clip downloads")
    request_queue: int = Field(
        256, ge=1, le=10_000, description="Requests taken at once (running or waiting); more: busy"
    )
    download_timeout: float = Field(
        30, gt=0, description="A clip download fails after this many seconds without data"
    )
    retention_days: float = Field(
        0, ge=0, description="Delete archived clips older than this (0: keep)"
    )
    tz: str | None = Field(
        None, description="Time zone of the sorted archive (default: the system's)"
    )
    http_port: int | None = Field(
        None, ge=1, le=65535, description="Serve media, health, metrics and the page on this port"
    )
    http_host: str = Field("127.0.0.1", min_length=1, description="Address the HTTP server binds")
    http_username: str | None = Field(None, description="HTTP Basic user (with HTTP_PASSWORD)")
    http_password: SecretStr | None = Field(None, description="HTTP Basic password")
    http_token: SecretStr | None = Field(None, description="HTTP bearer token")
    liveview_max_seconds: float = Field(
        300, gt=0, le=3600, description="Longest live-view session, in seconds"
    )
    liveview_daily_seconds: float = Field(
        1800, ge=0, description="Live-view seconds per camera per day (UTC); 0: live view off"
    )
    liveview_host: str = Field(
        "127.0.0.1", min_length=1, description="Address of the raw MPEG-TS live-view servers"
    )
    liveview_rtsp_port: int = Field(
        8554, ge=0, le=65535, description="go2rtc's RTSP port (0: no go2rtc)"
    )
    liveview_rtsp_username: str | None = Field(None, description="RTSP user (go2rtc)")
    liveview_rtsp_password: SecretStr | None = Field(
        None, validate_default=True, description="RTSP password (go2rtc)"
    )
    liveview_rtsp_program: str = Field(
        "go2rtc", min_length=1, description="The go2rtc program (a name on PATH or a path)"
    )
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)
    ] = Field("INFO", description="Log level")

    @field_validator("mqtt_base_topic", "ha_discovery_prefix")
    @classmethod
    def _topic_prefix(cls, value: str) -> str:
        value = value.strip("/")
        if not value or any(c in value for c in "+#\0"):
            raise ValueError("must be a non-empty topic without '+', '#' or NUL")
        return value

    @field_validator("liveview_rtsp_password")
    @classmethod
    def _rtsp_pair(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if (value is None) != (info.data.get("liveview_rtsp_username") is None):
            raise ValueError("set it together with LIVEVIEW_RTSP_USERNAME, or neither")
        return value

    @field_validator("last_image_filename")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        if not value or "/" in value or "\0" in value or value in {".", ".."}:
            raise ValueError("must be a plain file name")
        return value

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as err:
                raise ValueError(f"unknown time zone {value!r}") from err
        return value or None

    @field_validator("public_base_url", "blink_simulator_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in URL_SCHEMES or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("mqtt_ca_file")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            _check_readable(value)
        return value

    @model_validator(mode="after")
    def _public_url_from_http(self) -> Settings:
        """With the HTTP server on, `url`s point at it unless PUBLIC_BASE_URL says otherwise."""
        if self.http_port and not self.public_base_url:
            self.public_base_url = f"http://{_url_host(self.http_host)}:{self.http_port}"
        return self

    @property
    def http_credentials(self) -> bool:
        """HTTP_USERNAME and HTTP_PASSWORD, or HTTP_TOKEN, are set."""
        basic = bool(self.http_username and self.http_password)
        return basic or bool(self.http_token and self.http_token.get_secret_value())

    @property
    def credentials_file(self) -> Path:
        return self.blink_credentials_file or self.data_dir / "credentials.json"

    @property
    def has_account(self) -> bool:
        return bool(self.blink_username)

    def masked(self) -> dict[str, Any]:
        """Effective settings for display: secrets shown as `***`."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            secret = isinstance(value, SecretStr)
            shown[name.upper()] = ("***" if value.get_secret_value() else "") if secret else value
        shown["BLINK_CREDENTIALS_FILE"] = self.credentials_file
        return shown


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    """The host part of the default PUBLIC_BASE_URL for a server bound to `host`: the
    machine's name for a wildcard address, brackets around IPv6."""
    bare = host.strip("[]")
    if bare in {"0.0.0.0", "::", ""}:  # noqa: S104  (comparing, not binding)
        return socket.gethostname()
    return f"[{bare}]" if ":" in bare else bare


def check_http(settings: Settings) -> None:
    """HTTP_USERNAME/HTTP_PASSWORD go together; MEDIA_DIR's name must not shadow a route;
    a server reachable from other machines needs credentials."""
    if bool(settings.http_username) != bool(settings.http_password):
        raise ConfigError("set both HTTP_USERNAME and HTTP_PASSWORD, or neither")
    folder = settings.media_dir.absolute().name
    if settings.http_port and (not folder or folder.lower() in HTTP_ROUTE_PREFIXES):
        raise ConfigError(
            f"MEDIA_DIR: {settings.media_dir} cannot be served over HTTP under /{folder}/; "
            f"give the folder another name (not {', '.join(sorted(HTTP_ROUTE_PREFIXES))} or /)"
        )
    exposed = settings.http_port and not is_loopback(settings.http_host)
    if exposed and not settings.http_credentials:
        raise ConfigError(
            f"HTTP_HOST={settings.http_host} is not a loopback address: set "
            "HTTP_USERNAME and HTTP_PASSWORD (or HTTP_TOKEN) so that media and "
            "requests are not open to the network"
        )


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise ValueError("no such file")
    if not os.access(path, os.R_OK):
        raise ValueError(f"not readable by this user (uid {os.getuid()})")


def known_names() -> set[str]:
    """Every variable name the bridge or the compose file reads."""
    names = {name.upper() for name in Settings.model_fields}
    return (
        names | {f"{n}_FILE" for n in SECRET_FILE_SETTINGS} | set(LEGACY_NAMES) | {*COMPOSE_NAMES}
    )


def _warn_unknown(dotenv_keys: list[str]) -> None:
    """A `.env` key that is not ours but close to one of ours is most likely a typo."""
    known = known_names()
    for key in dotenv_keys:
        name = key.upper()
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
        if close:
            log.warning("Unknown setting %s in .env (ignored); did you mean %s?", key, close[0])


def _secret_files(environ: dict[str, str]) -> dict[str, str]:
    """`BLINK_PASSWORD_FILE=/run/secrets/x` and friends: the file's text (trailing newline
    removed) becomes the setting; setting both the variable and its `_FILE` is an error."""
    env = {k.upper(): v for k, v in environ.items()}
    values: dict[str, str] = {}
    for name in SECRET_FILE_SETTINGS:
        file_name = f"{name}_FILE"
        if not env.get(file_name):
            continue
        if env.get(name):
            raise ConfigError(f"set {name} or {file_name}, not both")
        path = Path(env[file_name])
        try:
            values[name.lower()] = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or type(err).__name__
            raise ConfigError(f"{file_name}: cannot read {path}: {reason}") from None
    return values


def _check_directories(settings: Settings) -> None:
    """DATA_DIR and MEDIA_DIR must be directories this user can write (when they exist;
    missing ones are created)."""
    for name, path in (("DATA_DIR", settings.data_dir), ("MEDIA_DIR", settings.media_dir)):
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{name}: {path} is not a directory")
        if path.exists() and not os.access(path, os.W_OK | os.X_OK):
            raise ConfigError(
                f"{name}: {path} is not writable by this user (uid {os.getuid()}); "
                f"fix it with: sudo chown -R {os.getuid()} {path}"
            )


def _legacy_fallbacks(environ: dict[str, str]) -> dict[str, Any]:
    """BlinkPy API's USERNAME / PASSWORD, used only when both are set and BLINK_* are not."""
    env = {k.upper(): v for k, v in environ.items()}
    if "BLINK_USERNAME" in env or not {"USERNAME", "PASSWORD"} <= env.keys():
        return {}
    for old, new in LEGACY_NAMES.items():
        log.warning("%s is deprecated; set %s instead", old, new)
    return {"blink_username": env["USERNAME"], "blink_password": env["PASSWORD"]}


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "settings"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        return f"{name} is required"
    shown = repr(first.get("input"))
    if name.endswith("PASSWORD") or shown in message:
        return f"{name}: {message}"
    return f"{name}: {message} (got {shown})"


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise ConfigError with one line naming the bad variable."""
    dotenv = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    _warn_unknown(list(dotenv))
    environ = {**dotenv, **os.environ}
    try:
        settings = Settings(**{**_legacy_fallbacks(environ), **_secret_files(environ), **overrides})
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    _check_directories(settings)
    check_http(settings)
    if settings.refresh_interval < MIN_SANE_REFRESH:
        log.warning(
            "REFRESH_INTERVAL=%s is below %ss; Blink may throttle the account",
            settings.refresh_interval,
            MIN_SANE_REFRESH,
        )
    return settings
