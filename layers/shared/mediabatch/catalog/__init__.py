"""The media catalog: every file that lands becomes a media item of its tenant."""
