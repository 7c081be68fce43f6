"""`/get-camera-info`'s camera objects: blinkpy's `BlinkCamera.attributes` (what BlinkPy
API answers, blinkpy/camera.py) made from the bridge's camera state (pure)."""

from __future__ import annotations

from typing import Any

ATTRIBUTES = (
    "battery",
    "battery_level",
    "battery_voltage",
    "camera_id",
    "last_record",
    "motion_detected",
    "motion_enabled",
    "name",
    "network_id",
    "recent_clips",
    "serial",
    "sync_module",
    "sync_signal_strength",
    "temperature",
    "temperature_c",
    "temperature_calibrated",
    "thumbnail",
    "type",
    "version",
    "video",
    "wifi_strength",
)
"""The keys of blinkpy 0.25.9's `attributes`, in the (sorted) order Flask answers them."""


def attributes(camera: dict[str, Any]) -> dict[str, Any]:
    """One camera state payload as blinkpy's attributes. blinkpy's `camera_id` is text;
    a Mini or doorbell without a sync module has its own name as `sync_module` (blinkpy's
    pseudo sync module is named after the device)."""
    get = camera.get
    camera_id = get("camera_id")
    values = {
        "battery": get("battery"),
        "battery_level": get("battery_level"),
        "battery_voltage": get("battery_voltage"),
        "camera_id": None if camera_id is None else str(camera_id),
        "last_record": get("last_record"),
        "motion_detected": get("motion_detected"),
        "motion_enabled": get("motion_enabled"),
        "name": get("name"),
        "network_id": get("network_id"),
        "recent_clips": get("recent_clips") or [],
        "serial": get("serial"),
        "sync_module": get("sync_module") or get("name"),
        "sync_signal_strength": get("sync_signal_strength"),
        "temperature": get("temperature_f"),
        "temperature_c": get("temperature_c"),
        "temperature_calibrated": get("temperature_calibrated"),
        "thumbnail": get("thumbnail"),
        "type": get("type"),
        "version": get("firmware"),
        "video": get("clip_url"),
        "wifi_strength": get("wifi_strength"),
    }
    return {key: values[key] for key in ATTRIBUTES}
