"""ffmpeg adapters."""
