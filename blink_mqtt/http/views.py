"""The page's HTML (pure): bridge and auth state, 2FA form, cameras, downloads, archive.

Plain server-rendered HTML; every form works without JavaScript (POST, then a redirect
back here). page.js only refreshes the state and progress while the page is open. Every
URL is relative, so the page also works behind a reverse proxy under a sub-path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from html import escape
from urllib.parse import quote, urlencode

from blink_mqtt.http.activity import Running
from blink_mqtt.http.listing import Clip
from blink_mqtt.replies import HealthReply
from blink_mqtt.state import AuthStatus, CameraState

AUTH_WORDS = {
    "ok": "logged in",
    "2fa_required": "waiting for the 2FA code",
    "logging_in": "logging in",
    "login_failed": "login failed",
    "unavailable": "unavailable",
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    camera: CameraState
    image: str | None
    """Relative URL of the newest snapshot (with a version), None when there is none."""


@dataclass(frozen=True, slots=True)
class Archive:
    folders: list[str]
    camera: str | None
    days: dict[date, list[Clip]]
    day: date | None
    media: str
    """MEDIA_DIR's name: the URL prefix of every file."""


@dataclass(frozen=True, slots=True)
class View:
    health: HealthReply
    auth: AuthStatus
    cameras: list[Snapshot]
    downloads: list[Running]
    archive: Archive
    note: str | None
    zone: tzinfo | None


def e(value: object) -> str:
    return escape(str(value), quote=True)


def media_url(media: str, relative: str) -> str:
    return quote(f"{media}/{relative}", safe="/")


def _time(moment: datetime | None, zone: tzinfo | None) -> str:
    return "never" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _bridge(view: View) -> str:
    h = view.health
    state = view.auth.state
    return f"""<section id="bridge" class="card">
<h2>Bridge</h2>
<p>MQTT <b id="mqtt-state" class="state-{e(h.mqtt)}">{e(h.mqtt)}</b>
 · Blink <b id="auth-state" class="state-{e(state)}" data-state="{e(state)}">
{e(AUTH_WORDS.get(state, state))}</b>
 · last poll <span id="last-refresh">{e(_time(h.last_refresh, view.zone))}</span>
 · requests to Blink <span id="blink-requests">{h.blink_requests}</span></p>
<p id="auth-message" class="muted">{e(view.auth.message)}</p>
{_auth_form(state)}
</section>"""


def _auth_form(state: str) -> str:
    if state == "2fa_required":
        return """<form id="twofa" method="post" action="ui/2fa">
<label for="code">Code from Blink's e-mail or SMS</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code"
 required maxlength="16" pattern="[0-9A-Za-z\\-]+">
<button type="submit">Send code</button>
</form>"""
    if state in ("login_failed", "unavailable"):
        return """<form id="login" method="post" action="ui/login">
<button type="submit">Log in again</button></form>"""
    return ""


def _camera(item: Snapshot, zone: tzinfo | None) -> str:
    cam = item.camera
    image = (
        f'<img class="snapshot" src="{e(item.image)}" alt="newest snapshot of {e(cam.name)}">'
        if item.image
        else '<div class="snapshot none">no snapshot yet</div>'
    )
    facts = [
        "online" if cam.online else "offline",
        "armed" if cam.armed else "disarmed",
        "motion detection on" if cam.motion_enabled else "motion detection off",
    ]
    if cam.motion_detected:
        facts.append("<b>motion</b>")
    if cam.battery:
        facts.append(f"battery {e(cam.battery)}")
    if cam.temperature_c is not None:
        facts.append(f"{cam.temperature_c:.0f} °C")
    if cam.wifi_strength is not None:
        facts.append(f"wifi {cam.wifi_strength}")
    shown = " · ".join(f if f.startswith("<b>") else e(f) for f in facts)
    return f"""<article class="camera card" data-camera="{e(cam.name)}">
{image}
<h3>{e(cam.name)}</h3>
<p class="muted">{shown}<br>last clip {e(_time(cam.last_record, zone))}</p>
<form method="post" action="ui/snap"><input type="hidden" name="camera" value="{e(cam.name)}">
<button type="submit">Take a snapshot</button></form>
</article>"""


def _cameras(view: View) -> str:
    if not view.cameras:
        body = '<p class="muted">No cameras yet (the bridge is not logged in yet).</p>'
    else:
        cards = "\n".join(_camera(item, view.zone) for item in view.cameras)
        body = f'<div class="grid">{cards}</div>'
    return f'<section id="cameras"><h2>Cameras</h2>{body}</section>'


def downloads_table(view: View) -> str:
    rows = "\n".join(
        f'<tr class="{"finished" if run.finished else "running"}"><td>{e(run.command)}</td>'
        f'<td>{e(run.camera)}</td><td><progress max="{run.total}" value="{run.done}">'
        f"</progress> {run.done} / {run.total}</td></tr>"
        for run in view.downloads
    )
    if not rows:
        return '<p class="muted">No download running.</p>'
    return f"<table><tr><th>request</th><th>last camera</th><th>clips</th></tr>{rows}</table>"


def _downloads(view: View) -> str:
    table = downloads_table(view)
    return f"""<section id="downloads" class="card"><h2>Downloads</h2>
<div id="download-list">{table}</div>
<form id="download" method="post" action="ui/download">
<button type="submit">Download new clips now</button></form></section>"""


def _link(**query: str) -> str:
    return "?" + urlencode(query) + "#archive"


def _archive(view: View) -> str:
    a = view.archive
    folders = " ".join(
        f'<a href="{e(_link(camera=name))}"{" class=chosen" if name == a.camera else ""}>'
        f"{e(name)}</a>"
        for name in a.folders
    )
    parts = [f'<section id="archive" class="card"><h2>Archive</h2><nav>{folders or "empty"}</nav>']
    if a.camera is not None:
        days = " ".join(
            f'<a href="{e(_link(camera=a.camera, date=day.isoformat()))}"'
            f"{' class=chosen' if day == a.day else ''}>{day.isoformat()} ({len(clips)})</a>"
            for day, clips in a.days.items()
        )
        parts.append(f'<nav class="days">{days or "no clips"}</nav>')
    if a.day is not None and a.camera is not None:
        for clip in a.days.get(a.day, []):
            url = e(media_url(a.media, clip.relative))
            parts.append(
                f'<figure class="clip"><video class="clip" controls preload="metadata" '
                f'src="{url}"></video><figcaption>{e(_time(clip.recorded_at, view.zone))} · '
                f'{clip.size // 1024} KiB · <a href="{url}">file</a></figcaption></figure>'
            )
    parts.append("</section>")
    return "\n".join(parts)


def page(view: View) -> str:
    note = f'<p id="note" class="note">{e(view.note)}</p>' if view.note else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>blink-mqtt</title><link rel="stylesheet" href="ui/page.css"></head>
<body><header><h1>blink-mqtt</h1>
<noscript><a href="./">refresh</a></noscript></header>
{note}
<main>{_bridge(view)}
{_cameras(view)}
{_downloads(view)}
{_archive(view)}</main>
<script src="ui/page.js" defer></script></body></html>
"""
