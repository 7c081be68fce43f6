"""Live view: metered sessions relayed as raw MPEG-TS over TCP, and RTSP through go2rtc."""
