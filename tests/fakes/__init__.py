"""In-memory fakes of the domain's ports, one module per domain package. They keep the
contract of the real adapters (tenant isolation, opaque cursors, conditional writes) so unit
tests exercise the services' logic without boto3, yt-dlp, ffmpeg or a network."""
