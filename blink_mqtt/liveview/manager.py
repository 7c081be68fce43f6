"""LiveViews: the bridge's live-view sessions, at most one per camera, metered.

A `liveview` request starts a session (or joins the running one): Blink is asked for the
stream, a local TCP server is opened for it, and the answer carries its URLs. Each
session is capped at LIVEVIEW_MAX_SECONDS (or the requested `duration`) and at what is
left of the camera's LIVEVIEW_DAILY_SECONDS; a camera whose day is spent is refused with
`liveview_budget_spent`. State goes to `<base>/camera/<camera>/liveview` (retained),
`liveview_started` / `liveview_ended` to the camera's event topic.

A live view never counts as motion: the session publishes no motion and changes no
camera state; the clip Blink may save of it (media `source: liveview`) is the poll's
business.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from blink_mqtt import strictjson
from blink_mqtt.account import BlinkAccount
from blink_mqtt.account import liveview as blink_liveview
from blink_mqtt.bridge import Outbound
from blink_mqtt.errors import InvalidRequest, LiveViewBudgetSpent, shutting_down
from blink_mqtt.liveview.budget import Budget
from blink_mqtt.liveview.fanout import Fanout
from blink_mqtt.liveview.go2rtc import Go2Rtc, url_host
from blink_mqtt.liveview.models import LiveViewEnded, LiveViewReply, LiveViewStarted
from blink_mqtt.liveview.session import Session
from blink_mqtt.settings import Settings
from blink_mqtt.state import CameraState
from blink_mqtt.topics import Topics

log = logging.getLogger(__name__)

MIN_SECONDS = 1.0
"""A session shorter than this is not started (the budget counts as spent)."""
WATCH_INTERVAL = 2.0
"""How often the account's camera list is compared with the one the live-view state
(and go2rtc's configuration) were made for."""


class LiveViews:
    def __init__(
        self,
        settings: Settings,
        account: BlinkAccount,
        topics: Topics,
        send: Callable[[Outbound], None],
    ) -> None:
        self.settings = settings
        self.account = account
        self.topics = topics
        self._send = send
        self.budget = Budget(settings.data_dir, settings.liveview_daily_seconds)
        self.sessions: dict[str, Session] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_reason: dict[str, str] = {}
        self._tasks: asyncio.TaskGroup | None = None
        self.go2rtc = Go2Rtc(settings)
        self.rtsp_url: Callable[[CameraState], str | None] = self.go2rtc.rtsp_url
        self.on_cameras: Callable[[tuple[CameraState, ...]], None] = self.go2rtc.update
        self._cameras: dict[str, CameraState] = {}

    async def run(self) -> None:
        """Hold the sessions' tasks until cancelled (which ends every session), and keep
        each camera's live-view state published (`off` until its first live view)."""
        try:
            async with asyncio.TaskGroup() as tasks:
                self._tasks = tasks
                tasks.create_task(self.go2rtc.run())
                while True:
                    self._watch_cameras()
                    await asyncio.sleep(WATCH_INTERVAL)
        finally:
            self._tasks = None

    def _watch_cameras(self) -> None:
        cameras = self.account.state().cameras
        now = {camera.slug: camera for camera in cameras}
        if now.keys() == self._cameras.keys():
            return
        self.on_cameras(cameras)  # go2rtc's configuration first: the states announce it
        for slug in self._cameras.keys() - now.keys():
            self._send(Outbound(self.topics.camera_liveview(slug), b"", retain=True))
        for slug in now.keys() - self._cameras.keys():
            self._publish_state(now[slug])
        self._cameras = now

    # -- requests -------------------------------------------------------------------

    async def start(self, camera: CameraState, duration: float | None) -> LiveViewReply:
        lock = self._locks.setdefault(camera.serial, asyncio.Lock())
        async with lock:
            running = self.sessions.get(camera.serial)
            if running is not None and running.reason is None:
                return self.describe(camera)
            if running is not None:  # ending: let it finish (Blink told) before a new one
                async with asyncio.timeout(30):
                    await running.closed.wait()
            if self._tasks is None:
                raise shutting_down()
            wanted = min(duration or self.settings.liveview_max_seconds, self._cap())
            left = self.budget.left(camera.serial)
            if left < MIN_SECONDS:
                raise LiveViewBudgetSpent(self._spent(camera))
            session = await self._open(camera, min(wanted, left), left < wanted)
            self.sessions[camera.serial] = session
            self._tasks.create_task(self._life(session))
        self._publish_state(camera)
        rtsp = self.rtsp_url(camera)
        started = LiveViewStarted(
            camera.name, session.started_at, session.ends_at, session.tcp_url, rtsp
        )
        self._event(camera, started.to_json())
        return self.describe(camera)

    def _cap(self) -> float:
        return float(self.settings.liveview_max_seconds)

    def _spent(self, camera: CameraState) -> str:
        daily = self.settings.liveview_daily_seconds
        if daily <= 0:
            return "live view is off (LIVEVIEW_DAILY_SECONDS=0)"
        resets = self.budget.resets_at().isoformat()
        return f"{camera.name}: today's live-view budget of {daily:g} s is spent (resets {resets})"

    async def _open(self, camera: CameraState, limit: float, by_budget: bool) -> Session:
        upstream = await blink_liveview.request(self.account, camera)
        holder: list[Session] = []
        fanout = Fanout(camera.name, lambda _count: self._viewers_changed(holder))
        try:
            host, port = await fanout.start(self.settings.liveview_host)
        except OSError as err:
            await fanout.close()
            raise InvalidRequest(
                f"cannot open the live-view port on {self.settings.liveview_host} "
                f"(LIVEVIEW_HOST): {err.strerror or err}"
            ) from None
        session = Session(
            camera,
            upstream,
            fanout,
            f"tcp://{url_host(host)}:{port}",
            limit,
            "budget" if by_budget else "time_limit",
        )
        holder.append(session)
        log.info("%s: live view started on %s for %.0f s", camera.name, session.tcp_url, limit)
        return session

    def _viewers_changed(self, holder: list[Session]) -> None:
        if holder:
            holder[0].viewers_changed()
            self._publish_state(holder[0].camera)

    async def stop(self, camera: CameraState) -> LiveViewReply:
        session = self.sessions.get(camera.serial)
        if session is not None:
            session.stop("stopped")
        return self.describe(camera)

    async def _life(self, session: Session) -> None:
        camera = session.camera
        reason = "error"
        try:
            reason = await session.run(self.account)
        except Exception:  # a bug costs this session only, never the others
            log.exception("%s: live view failed with a bug", camera.name)
        finally:
            reason = session.reason or reason  # `shutdown` when cancelled
            seconds = round(session.elapsed, 1)
            self.budget.add(camera.serial, seconds)
            self.sessions.pop(camera.serial, None)
            session.closed.set()
            self._last_reason[camera.serial] = reason
            log.info("%s: live view ended (%s) after %.1f s", camera.name, reason, seconds)
            ended = LiveViewEnded(camera.name, reason, seconds, session.fanout.bytes_in)
            self._event(camera, ended.to_json())
            self._publish_state(camera)

    # -- what the bridge says ------------------------------------------------------------

    def describe(self, camera: CameraState) -> LiveViewReply:
        session = self.sessions.get(camera.serial)
        used = self.budget.used(camera.serial) + (session.elapsed if session else 0.0)
        left = max(0.0, self.settings.liveview_daily_seconds - used)
        return LiveViewReply(
            camera=camera.name,
            state="on" if session else "off",
            tcp_url=session.tcp_url if session else None,
            rtsp_url=self.rtsp_url(camera),
            started_at=session.started_at if session else None,
            ends_at=session.ends_at if session else None,
            viewers=session.fanout.count if session else 0,
            seconds_today=round(used, 1),
            seconds_left_today=round(left, 1),
            last_end_reason=self._last_reason.get(camera.serial),
        )

    def _publish_state(self, camera: CameraState) -> None:
        payload = strictjson.dumps(self.describe(camera).to_json())
        self._send(Outbound(self.topics.camera_liveview(camera.slug), payload, retain=True))

    def _event(self, camera: CameraState, body: dict[str, Any]) -> None:
        self._send(Outbound(self.topics.camera_event(camera.slug), strictjson.dumps(body)))

    def stats(self) -> dict[str, Any]:
        """Per session: bytes relayed, viewers, clients dropped for lagging."""
        return {
            s.camera.name: {
                "bytes": s.fanout.bytes_in,
                "viewers": s.fanout.count,
                "dropped": s.fanout.dropped,
            }
            for s in self.sessions.values()
        }
