"""The HTTP face of the bridge (aiohttp.web): media, health, metrics, the page, the
generic `/api/{command}` door and the BlinkPy API endpoints. Off unless HTTP_PORT is set."""
