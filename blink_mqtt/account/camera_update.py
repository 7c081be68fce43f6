"""A camera's update on a poll: blinkpy's `BlinkCamera.update` without two of its parts.

blinkpy's update (camera.py, 0.25.9) does three things: it reads the camera's config
(`extract_config_info`), asks for the camera's `signals` (`get_sensor_info`: a request
per default camera whose only result, a calibrated temperature, the bridge never
publishes), and updates the images (`update_images`): the thumbnail when its URL moved,
and the newest clip, read whole into memory, whenever the camera's sync module lists
one in `last_records`. Here: the config and the thumbnail only.

`update_images` finds clips only in `sync.last_records`, which blinkpy fills in
`check_new_videos` alone; the bridge never calls that (it learns of clips from its own
listing, clip_news.py) and empties the camera's entry before each update anyway, so a
poll can never read a clip.
"""

from __future__ import annotations

from typing import Any

from blink_mqtt.account.actions import thumbnail_fetched


async def update(cam: Any, config: dict[str, Any]) -> None:
    """Update `cam` from its config (from the homescreen or its own config request)."""
    url_before, image_before = cam.thumbnail, cam.image_from_cache
    cam.extract_config_info(config)
    records = getattr(cam.sync, "last_records", None)
    if isinstance(records, dict) and records.get(cam.name):
        records[cam.name] = []
    await cam.update_images(config, force_cache=False, expire_clips=False)
    thumbnail_fetched(cam, url_before, image_before)  # a failed fetch is retried next poll
