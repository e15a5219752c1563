"""yt-dlp as a library, locked down: no config files, no external downloaders, no exec hooks,
every socket checked against the SSRF policy (redirects and HLS segments included)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import yt_dlp
from yt_dlp.networking import _helper as ytdlp_net_helper
from yt_dlp.postprocessor import FFmpegVideoRemuxerPP
from yt_dlp.utils import DownloadCancelled

from mediabatch.adapters.ytdlp.failures import clean, failure_from_guard, failure_from_text
from mediabatch.downloads.failures import FailureCode, JobFailure
from mediabatch.downloads.models import (
    DownloadFailed,
    DownloadResult,
    DownloadSpec,
    JobCancelled,
    JobTimedOut,
    Progress,
)
from mediabatch.downloads.ports import OnData, OnPlan, OnProgress
from mediabatch.errors import UnsafeUrl
from mediabatch.urlguard import UrlPolicy

ALLOWED_PROTOCOLS = frozenset({"http", "https", "m3u8_native", "m3u8", "http_dash_segments"})


# yt-dlp lets only its own DownloadCancelled through its retry and error handling untouched:
# inside yt-dlp the domain's stop reasons travel as these, and are translated back at the edge.
class _Cancelled(DownloadCancelled):  # type: ignore[misc]
    msg = "cancelled"


class _TimedOut(DownloadCancelled):  # type: ignore[misc]
    msg = "timed out"


class FileTooLarge(DownloadCancelled):  # type: ignore[misc]
    msg = "file too large"


class UnsafeDownloader(DownloadCancelled):  # type: ignore[misc]
    """yt-dlp chose a downloader that opens its own sockets (ffmpeg, an external program)."""

    msg = "this stream needs a downloader outside the SSRF guard (live streams are not supported)"


class BlockedAddress(OSError):
    """Raised inside yt-dlp's connect path when the SSRF policy refuses an address."""


# ------------------------------------------------------------------------- SSRF guard
_policy_lock = threading.Lock()
_policy: UrlPolicy | None = None
_original_create_connection = ytdlp_net_helper.create_connection


def _guarded_create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
    host = str(address[0])
    connect = kwargs.pop("_create_socket_func", ytdlp_net_helper._socket_connect)
    policy = _policy

    def checked(ip_addr: Any, timeout: Any, source_address: Any) -> Any:
        if policy is not None:
            try:
                policy.check_address(host, str(ip_addr[4][0]))
            except UnsafeUrl as exc:
                raise BlockedAddress(exc.message) from None
        return connect(ip_addr, timeout, source_address)

    return _original_create_connection(address, *args, _create_socket_func=checked, **kwargs)


def install_connect_guard(policy: UrlPolicy) -> None:
    """Route every connection yt-dlp opens through the policy (idempotent)."""
    global _policy
    from yt_dlp.networking import _urllib

    modules: list[Any] = [_urllib]
    with _policy_lock:
        _policy = policy
        for module in modules:
            module.create_connection = _guarded_create_connection


# ------------------------------------------------------------------------- registries
_registry_lock = threading.Lock()
_registry_ready = False
_default_extractors: dict[str, Any] = {}  # ie_key -> class, in yt-dlp's order


def prepare_registries() -> None:
    """Fill yt-dlp's process-wide extractor registry once, with plugins off, before any
    YoutubeDL is built. Each YoutubeDL otherwise loads plugins on first use by *replacing* the
    registry with a copy of it: a second thread doing that while the first is still filling it
    leaves the process with a partial registry for good (no Generic extractor: every direct URL
    then fails with "No suitable extractor found"). Plugins are code from the user's folders,
    which a locked-down server does not run anyway.

    The default extractor list is kept too: yt-dlp otherwise rebuilds it for every YoutubeDL
    (about 45 ms of CPU a job, a third of a job's CPU)."""
    global _registry_ready, _default_extractors
    with _registry_lock:
        if _registry_ready:
            return
        from yt_dlp import globals as ytdlp_globals
        from yt_dlp.extractor import gen_extractor_classes

        ytdlp_globals.plugin_dirs.value = []
        ytdlp_globals.all_plugins_loaded.value = True
        # As YoutubeDL.add_default_info_extractors with allowed_extractors left at "default".
        by_name = {ie.IE_NAME.lower(): ie for ie in gen_extractor_classes()}
        _default_extractors = {ie.ie_key(): ie for ie in by_name.values() if ie._ENABLED}
        _share_ssl_contexts()
        _registry_ready = True


def _share_ssl_contexts() -> None:
    """One TLS context per setting for the process: yt-dlp builds one for every YoutubeDL,
    loading the whole CA bundle each time (19 ms of CPU a job, for http URLs too). A context
    is safe to share between connections and threads; one with a client certificate (never
    set here) is still built afresh."""
    from yt_dlp.networking import common

    build = common.make_ssl_context
    kept: dict[tuple[bool, bool, bool], Any] = {}
    lock = threading.Lock()

    def make_ssl_context(
        verify: bool = True,
        client_certificate: Any = None,
        client_certificate_key: Any = None,
        client_certificate_password: Any = None,
        legacy_support: bool = False,
        use_certifi: bool = True,
    ) -> Any:
        if client_certificate is not None:
            return build(
                verify=verify,
                client_certificate=client_certificate,
                client_certificate_key=client_certificate_key,
                client_certificate_password=client_certificate_password,
                legacy_support=legacy_support,
                use_certifi=use_certifi,
            )
        key = (verify, legacy_support, use_certifi)
        with lock:
            if key not in kept:
                kept[key] = build(verify=verify, legacy_support=legacy_support, use_certifi=use_certifi)
            return kept[key]

    common.make_ssl_context = make_ssl_context


class _GuardedYoutubeDL(yt_dlp.YoutubeDL):  # type: ignore[misc]
    """yt-dlp restricted to its urllib request handler: the only one whose every connection
    (redirect hops included) goes through the guarded `create_connection`. Its `requests`
    handler opens ordinary connections through urllib3's own code, which the guard never sees."""

    def __init__(self, params: dict[str, Any]) -> None:
        prepare_registries()
        super().__init__(params)

    def add_default_info_extractors(self) -> None:
        # What add_info_extractor does for a class, for all of them at once.
        self._ies.update(_default_extractors)

    def _forceprint(self, key: str, info_dict: Any) -> Any:
        """yt-dlp renders its formats, thumbnails and subtitles tables for `--print` at every
        step of every download, printing or not: a third of a small job's CPU. Nothing is
        printed here unless a caller asks for it."""
        if info_dict is None or self.params.get("forceprint") or self.params.get("print_to_file"):
            return super()._forceprint(key, info_dict)
        return dict(info_dict)

    def build_request_director(self, handlers: Any, preferences: Any = None) -> Any:
        urllib_only = [h for h in handlers if getattr(h, "RH_KEY", "") == "Urllib"]
        return super().build_request_director(urllib_only, preferences)

    def dl(self, name: str, info: dict[str, Any], subtitle: bool = False, test: bool = False) -> Any:
        """Only yt-dlp's own HTTP, HLS and DASH downloaders, which fetch through the guarded
        request handler. For live streams yt-dlp picks ffmpeg, which connects (and resolves
        names) by itself, where no guard can see it."""
        from yt_dlp.downloader import get_suitable_downloader
        from yt_dlp.downloader.dash import DashSegmentsFD
        from yt_dlp.downloader.hls import HlsFD
        from yt_dlp.downloader.http import HttpFD

        chosen = get_suitable_downloader({**info, "to_stdout": name == "-"}, self.params, to_stdout=name == "-")
        if chosen not in (HttpFD, HlsFD, DashSegmentsFD):
            raise UnsafeDownloader()
        return super().dl(name, info, subtitle=subtitle, test=test)


def format_selector(quality: str) -> str:
    if quality == "best":
        return "bv*+ba/b"
    if quality == "worst":
        return "wv*+wa/w"
    if quality == "audio":
        return "ba/b"
    height = int(quality.rstrip("p"))
    return f"bv*[height<=?{height}]+ba/b[height<=?{height}]/w"


class _QuietLogger:
    """yt-dlp logger that keeps the last error for the job's error message."""

    def __init__(self) -> None:
        self.last_error: str | None = None
        self.too_large = False

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def error(self, msg: str) -> None:
        self.last_error = clean(msg)


def is_audio_only(info: dict[str, Any]) -> bool:
    """One audio stream and no video (a podcast enclosure): kept as it is, never remuxed into
    the video container (docs/limits.md)."""
    return not info.get("requested_formats") and info.get("vcodec") == "none" and info.get("acodec") != "none"


def _streamable(info: dict[str, Any], spec: DownloadSpec) -> bool:
    """One plain HTTP(S) stream that needs no merge, remux or fixup: the bytes on disk are the
    final file."""
    return (
        not info.get("requested_formats")
        and info.get("protocol") in ("http", "https")
        and (spec.quality == "audio" or info.get("ext") == spec.video_format or is_audio_only(info))
    )


class YtDlpDownloader:
    def __init__(
        self,
        policy: UrlPolicy,
        *,
        progress_interval: float = 1.0,
        socket_timeout: float = 20.0,
        max_bytes: int = 4 * 2**30,
        ffmpeg_path: str = "ffmpeg",
    ) -> None:
        install_connect_guard(policy)
        self._policy = policy
        self._max_bytes = max_bytes
        # A bare name is looked up on PATH by yt-dlp itself; a path (a Lambda layer) is passed on.
        self._ffmpeg_location = ffmpeg_path if "/" in ffmpeg_path else None
        self._interval = progress_interval
        self._socket_timeout = socket_timeout

    def download(
        self,
        spec: DownloadSpec,
        work_dir: Path,
        on_progress: OnProgress,
        deadline: float,
        *,
        on_plan: OnPlan | None = None,
        on_data: OnData | None = None,
    ) -> DownloadResult:
        """Download `spec.url` into `work_dir` (the Downloader port: downloads/ports.py).
        `on_progress` is called at most once per interval and may raise JobCancelled; past
        `deadline` (time.monotonic) the download stops with JobTimedOut."""
        try:
            self._policy.check_url(spec.url)
        except UnsafeUrl as exc:
            raise DownloadFailed(failure_from_guard(exc.message)) from exc
        logger = _QuietLogger()
        final_paths: list[str] = []
        hook = _ProgressHook(on_progress, on_data, deadline, self._max_bytes, self._interval, logger)
        try:
            with _GuardedYoutubeDL(self._options(spec, work_dir, logger, hook, final_paths)) as ydl:
                info = self._resolve(ydl, spec, logger)
                if spec.quality != "audio" and not is_audio_only(info):
                    remuxer = FFmpegVideoRemuxerPP(ydl, preferedformat=spec.video_format)
                    ydl.add_post_processor(remuxer, when="post_process")
                hook.begin(info.get("title"), _streamable(info, spec))
                if on_plan is not None:
                    on_plan(info, hook.streamable)
                ydl.process_ie_result(info, download=True)
        except DownloadFailed:
            raise
        except DownloadCancelled as exc:
            stopped = self._stopped(exc, logger)
            if stopped is exc:
                raise
            raise stopped from exc
        except yt_dlp.utils.YoutubeDLError as exc:
            raise DownloadFailed(
                self._too_large if logger.too_large else failure_from_text(logger.last_error or str(exc))
            ) from exc
        return self._result(info, final_paths, logger)

    # ------------------------------------------------------------------ internals
    @property
    def _too_large(self) -> JobFailure:
        return JobFailure.of(FailureCode.TOO_LARGE, limit=self._max_bytes)

    def _options(
        self, spec: DownloadSpec, work_dir: Path, logger: _QuietLogger, hook: _ProgressHook, final_paths: list[str]
    ) -> dict[str, Any]:
        opts: dict[str, Any] = {
            "format": format_selector(spec.quality),
            "outtmpl": {"default": "%(id).60B.%(ext)s"},
            "paths": {"home": str(work_dir), "temp": str(work_dir)},
            "restrictfilenames": True,
            "noplaylist": True,
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            # yt-dlp formats its own progress line on every chunk even when nothing shows it
            # (about a quarter of a job's CPU); our hook still sees every chunk.
            "progress_delta": 3600,
            "logger": logger,
            "progress_hooks": [hook],
            "post_hooks": [final_paths.append],
            "socket_timeout": self._socket_timeout,
            "retries": 3,
            "fragment_retries": 3,
            "hls_prefer_native": True,
            "external_downloader": {"default": "native"},
            **({"ffmpeg_location": self._ffmpeg_location} if self._ffmpeg_location else {}),
            "cachedir": False,
            "proxy": "",
            "overwrites": True,
            "continuedl": False,
            "merge_output_format": spec.video_format,
            "writesubtitles": spec.download_subtitles,
            "subtitleslangs": ["all"] if spec.download_subtitles else [],
        }
        # The remuxer into `video_format` is added once the media is known (`download`): an
        # audio-only source keeps its own format.
        return opts

    def _resolve(self, ydl: _GuardedYoutubeDL, spec: DownloadSpec, logger: _QuietLogger) -> dict[str, Any]:
        """What is at the URL, refused before any byte is fetched if it is not one recorded
        file over an allowed protocol within the size limit."""
        info: dict[str, Any] | None = ydl.extract_info(spec.url, download=False)
        if info is None:
            if logger.last_error:
                raise DownloadFailed(failure_from_text(logger.last_error))
            raise DownloadFailed(JobFailure.of(FailureCode.NO_MEDIA_FOUND))
        if info.get("_type") in ("playlist", "multi_video") or info.get("entries") is not None:
            raise DownloadFailed(JobFailure.of(FailureCode.PLAYLIST))
        if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming", "post_live"):
            raise DownloadFailed(JobFailure.of(FailureCode.LIVE_STREAM))
        for fmt in info.get("requested_formats") or [info]:
            if fmt.get("protocol", "https") not in ALLOWED_PROTOCOLS:
                detail = f"protocol {fmt.get('protocol')!r}"
                raise DownloadFailed(JobFailure.of(FailureCode.UNSUPPORTED_PROTOCOL, detail))
        known_size = info.get("filesize") or info.get("filesize_approx")
        if known_size and known_size > self._max_bytes:
            raise DownloadFailed(self._too_large)
        return info

    def _stopped(self, exc: DownloadCancelled, logger: _QuietLogger) -> BaseException:
        """The domain error for a download that yt-dlp reports as cancelled (`exc` itself when
        yt-dlp stopped for a reason of its own)."""
        if isinstance(exc, UnsafeDownloader):
            return DownloadFailed(JobFailure.of(FailureCode.UNSUPPORTED_PROTOCOL, UnsafeDownloader.msg))
        if logger.too_large:
            return DownloadFailed(self._too_large)
        if isinstance(exc, _TimedOut):
            return JobTimedOut()
        if isinstance(exc, _Cancelled):
            return JobCancelled()
        stopped: BaseException = exc
        return stopped

    def _result(self, info: dict[str, Any], final_paths: list[str], logger: _QuietLogger) -> DownloadResult:
        if logger.too_large:
            raise DownloadFailed(self._too_large)
        if logger.last_error and not final_paths:
            raise DownloadFailed(failure_from_text(logger.last_error))
        if not final_paths or not Path(final_paths[-1]).exists():
            raise DownloadFailed(JobFailure.with_message(FailureCode.DOWNLOAD_FAILED, "the download produced no file"))
        subtitles = {
            lang: Path(sub["filepath"])
            for lang, sub in (info.get("requested_subtitles") or {}).items()
            if sub.get("filepath") and Path(sub["filepath"]).exists()
        }
        return DownloadResult(path=Path(final_paths[-1]), info=info, subtitles=subtitles)


class _ProgressHook:
    """yt-dlp's progress hook: enforces the deadline and size limit on every call, passes bytes
    on to `on_data` while the file streams, and reports progress at most once per interval."""

    def __init__(
        self,
        on_progress: OnProgress,
        on_data: OnData | None,
        deadline: float,
        max_bytes: int,
        interval: float,
        logger: _QuietLogger,
    ) -> None:
        self._on_progress = on_progress
        self._on_data = on_data
        self._deadline = deadline
        self._max_bytes = max_bytes
        self._interval = interval
        self._logger = logger
        self._last = 0.0
        self._title: str | None = None
        self.streamable = False

    def begin(self, title: str | None, streamable: bool) -> None:
        """The media is resolved. The first progress write (with the title) comes one interval
        into the download: a file that takes less than that costs no progress write at all."""
        self._title = title
        self.streamable = streamable
        self._last = time.monotonic()

    def __call__(self, d: dict[str, Any]) -> None:
        if time.monotonic() > self._deadline:
            raise _TimedOut()
        downloaded = int(d.get("downloaded_bytes") or 0)
        if downloaded > self._max_bytes:
            self._logger.too_large = True
            raise FileTooLarge()
        if d.get("status") != "downloading":
            return
        if self._on_data is not None and self.streamable and d.get("tmpfilename"):
            self._on_data(Path(d["tmpfilename"]), downloaded)
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        total = d.get("total_bytes") or d.get("total_bytes_estimate")
        try:
            self._on_progress(
                Progress(downloaded, int(total) if total else None, _percent(d, downloaded, total), self._title)
            )
        except JobCancelled:
            raise _Cancelled() from None


def _percent(d: dict[str, Any], downloaded: int, total: Any) -> float:
    if total:
        return min(99.0, 100.0 * downloaded / float(total))
    if d.get("fragment_count"):
        return min(99.0, 100.0 * float(d.get("fragment_index") or 0) / float(d["fragment_count"]))
    return 0.0
