"""Download a batch of clips: plan it, spread it across cameras, fetch each clip once.

At most `concurrency` clips download at once across all calls. Clips of one camera
start in recording order; the next free slot goes to the least busy camera. A clip
being fetched by one call is awaited, not fetched again, by any other call. A clip Blink
answered "gone" (`clip_gone`) is remembered (GONE_MEMORY of them, for the process's
lifetime) and reported failed again without another request when it is listed again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from blink_mqtt.archive.adopt import Foreign
from blink_mqtt.archive.index import ClipIndex, Entry, epoch
from blink_mqtt.archive.results import DownloadResult, Fetch, OnProgress, OnSaved
from blink_mqtt.archive.tally import ClipOutcome, Tally
from blink_mqtt.archive.writer import settle, stream_clip
from blink_mqtt.clipref import ClipRef
from blink_mqtt.errors import BlinkMqttError, ClipGone, StorageError
from blink_mqtt.mediafile import is_valid_mp4

log = logging.getLogger(__name__)

Key = tuple[str, int]  # (camera, recording time in whole UTC seconds)
GoneKey = tuple[str, str]  # (source, source id): a USB copy of a gone cloud clip is not gone
GONE_MEMORY = 10_000
CANCELLED = ClipOutcome.failed("blink_unavailable", "the download was cancelled")


@dataclass(frozen=True, slots=True)
class Job:
    """A clip this call fetches; `outcome` is awaited by any other call wanting it."""

    clip: ClipRef
    key: Key
    path: str  # destination, relative to MEDIA_DIR
    outcome: asyncio.Future[ClipOutcome]


class Queue:
    """Jobs per camera in recording order; hands out the least busy camera's oldest."""

    def __init__(self, jobs: Iterable[Job]) -> None:
        self._waiting: dict[str, deque[Job]] = {}
        for job in sorted(jobs, key=lambda job: job.clip.recorded_at):
            self._waiting.setdefault(job.clip.camera, deque()).append(job)
        self._active: Counter[str] = Counter()

    def take(self) -> Job | None:
        if not self._waiting:
            return None
        camera = min(
            self._waiting,
            key=lambda name: (self._active[name], self._waiting[name][0].clip.recorded_at),
        )
        job = self._waiting[camera].popleft()
        if not self._waiting[camera]:
            del self._waiting[camera]
        self._active[camera] += 1
        return job

    def release(self, job: Job) -> None:
        self._active[job.clip.camera] -= 1

    def drain(self) -> list[Job]:
        jobs = [job for queue in self._waiting.values() for job in queue]
        self._waiting.clear()
        return jobs


@dataclass(frozen=True, slots=True)
class Plan:
    jobs: list[Job]
    waiters: list[tuple[ClipRef, asyncio.Future[ClipOutcome]]]
    known: list[tuple[ClipRef, str]]  # already archived: (clip, MEDIA_DIR-relative path)
    gone: list[tuple[ClipRef, ClipOutcome]]  # Blink said before that it no longer has them


class Downloader:
    """Fetches clips into the archive; one per MediaArchive, shared by all its calls."""

    def __init__(
        self,
        media_dir: Path,
        index: ClipIndex,
        concurrency: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._media, self._index, self._clock = media_dir, index, clock
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._inflight: dict[Key, asyncio.Future[ClipOutcome]] = {}
        self._gone: OrderedDict[GoneKey, ClipOutcome] = OrderedDict()
        self.foreign = Foreign({}, {})  # BlinkPy API files found at start (adopt.py)

    async def download(
        self,
        clips: Iterable[ClipRef],
        fetch: Fetch,
        place: Callable[[ClipRef], str],
        public: Callable[[str], str],
        callbacks: tuple[OnProgress | None, OnSaved | None] = (None, None),
    ) -> DownloadResult:
        """Archive `clips` at `place(clip)` (MEDIA_DIR-relative); see MediaArchive.download."""
        plan = self._plan(clips, place)
        tally = Tally(len(plan.jobs) + len(plan.waiters), public, *callbacks)
        for clip, path in plan.known:
            tally.skip(clip, path)
        for clip, known in plan.gone:
            tally.known_failure(clip, known)
        queue = Queue(plan.jobs)
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self._concurrency, len(plan.jobs))):
                    group.create_task(self._work(queue, fetch, tally))
                for clip, outcome in plan.waiters:
                    group.create_task(self._wait(clip, outcome, tally))
        finally:
            for job in queue.drain():
                self._resolve(job, CANCELLED)
        return tally.result()

    def _plan(self, clips: Iterable[ClipRef], place: Callable[[ClipRef], str]) -> Plan:
        """Sort clips into known, awaited and own jobs (no await: inflight stays exact)."""
        plan = Plan([], [], [], [])
        try:
            for clip in clips:
                self._plan_one(plan, clip, place)
        except BaseException:
            for job in plan.jobs:
                self._resolve(job, CANCELLED)
            raise
        return plan

    def _plan_one(self, plan: Plan, clip: ClipRef, place: Callable[[ClipRef], str]) -> None:
        key = (clip.camera, epoch(clip.recorded_at))
        if (pending := self._inflight.get(key)) is not None:
            plan.waiters.append((clip, pending))
            return
        entry = self._index.get(clip.camera, clip.recorded_at)
        if entry is not None and (self._media / entry.path).is_file():
            plan.known.append((clip, entry.path))
            return
        if (gone := self._gone.get((str(clip.source), clip.key))) is not None:
            plan.gone.append((clip, gone))
            return
        if (adopted := self._adopt(clip)) is not None:
            plan.known.append((clip, adopted))
            return
        future = self._inflight[key] = asyncio.get_running_loop().create_future()
        plan.jobs.append(Job(clip, key, place(clip), future))

    async def _work(self, queue: Queue, fetch: Fetch, tally: Tally) -> None:
        while True:
            async with self._slots:
                job = queue.take()
                if job is None:
                    return
                try:
                    outcome = await self._run(job, fetch)
                except BaseException:
                    self._resolve(job, self._found(job) or CANCELLED)
                    raise
                finally:
                    queue.release(job)
            self._resolve(job, outcome)
            if outcome.code == ClipGone.code:
                self._remember_gone(job.clip, outcome)
            await tally.add(job.clip, outcome)

    async def _wait(
        self, clip: ClipRef, pending: asyncio.Future[ClipOutcome], tally: Tally
    ) -> None:
        """A clip another job fetches: skipped if that saved it, failed if that failed."""
        outcome = await asyncio.shield(pending)
        await tally.add(clip, dataclasses.replace(outcome, fetched=False))

    def _adopt(self, clip: ClipRef) -> str | None:
        """The path of a BlinkPy API file of `clip`, indexed unless a placeholder."""
        found = self.foreign.find(clip.camera, clip.recorded_at)
        if found is None:
            return None
        try:
            size = (self._media / found.path).stat().st_size
        except OSError:  # gone since the scan
            return None
        if not found.placeholder:
            entry = Entry(
                clip.camera, clip.recorded_at, found.path, size, str(clip.source), clip.key
            )
            self._index.put(entry, self._clock())
            log.info(
                "Adopted %s (BlinkPy API) as %s's clip of %s",
                found.path,
                clip.camera,
                clip.recorded_at.isoformat(),
            )
        return found.path

    def _remember_gone(self, clip: ClipRef, outcome: ClipOutcome) -> None:
        self._gone[(str(clip.source), clip.key)] = outcome
        while len(self._gone) > GONE_MEMORY:
            self._gone.popitem(last=False)

    def _resolve(self, job: Job, outcome: ClipOutcome) -> None:
        if not job.outcome.done():
            job.outcome.set_result(outcome)
        if self._inflight.get(job.key) is job.outcome:
            del self._inflight[job.key]

    def _found(self, job: Job) -> ClipOutcome | None:
        """The outcome of a job interrupted after its clip was recorded, if it was."""
        entry = self._index.get(job.clip.camera, job.clip.recorded_at)
        if entry is None or entry.path != job.path:
            return None
        return ClipOutcome(path=entry.path, size=entry.size, fetched=True)

    async def _run(self, job: Job, fetch: Fetch) -> ClipOutcome:
        clip = job.clip
        try:
            return await self._archive(job, fetch)
        except BlinkMqttError as error:
            log.warning(
                "Clip of %s at %s from %s (%s) not archived: %s",
                *(clip.camera, clip.recorded_at.isoformat(), clip.source, clip.key, error),
            )
            return ClipOutcome.failed(error.code, error.message)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            log.warning("Download of %s's clip %s was cancelled", clip.camera, clip.key)
            return CANCELLED
        except Exception:
            log.exception("Bug while archiving %s's clip %s", clip.camera, clip.key)
            return ClipOutcome.failed("internal_error", "unexpected error; see the bridge's log")

    async def _archive(self, job: Job, fetch: Fetch) -> ClipOutcome:
        dest = self._media / job.path
        if await settle(is_valid_mp4, dest):  # e.g. a BlinkPy API archive, or a lost index
            log.info("Adopting %s, already on disk, into the clip index", job.path)
            return self._record(job, (await settle(dest.stat)).st_size, fetched=False)
        outcome: ClipOutcome | None = None
        try:
            async with fetch(job.clip) as body:
                size = await stream_clip(body, dest, job.clip.size)
                outcome = self._record(job, size, fetched=True)
        except Exception:
            if outcome is None:
                raise
            log.warning("Closing the download of %s failed", job.path, exc_info=True)
        log.info("Saved clip %s (%d bytes, %s)", job.path, outcome.size, job.clip.source)
        return outcome

    def _record(self, job: Job, size: int, *, fetched: bool) -> ClipOutcome:
        clip = job.clip
        entry = Entry(clip.camera, clip.recorded_at, job.path, size, str(clip.source), clip.key)
        try:
            self._index.put(entry, self._clock())
        except StorageError:
            if fetched:  # an unindexed clip would count as failed yet stay on disk
                (self._media / job.path).unlink(missing_ok=True)
            raise
        return ClipOutcome(path=job.path, size=size, fetched=fetched)
