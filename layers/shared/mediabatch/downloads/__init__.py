"""Batch downloads: URL batches fanned out to yt-dlp jobs (seed: batch-downloads-guide.md)."""
