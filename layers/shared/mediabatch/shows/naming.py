"""Where a show's episodes are stored: under the request's folder, named after each episode's
title (sanitised; the storage-key reservation keeps names unique within the folder)."""

from __future__ import annotations

from urllib.parse import urlsplit

from mediabatch.paths import DEFAULT_PATH_TEMPLATE, sanitize_component, validate_path_template


def folder_template(folder: str | None) -> str:
    """The path template of a show batch: `batch/<folder>/{safe_title}.{ext}`, each segment of
    the folder sanitised; the batch's own folder when none was asked for."""
    segments = [sanitize_component(part, fallback="") for part in (folder or "").split("/")]
    segments = [s for s in segments if s]
    if not segments:
        return DEFAULT_PATH_TEMPLATE
    return validate_path_template("batch/" + "/".join(segments) + "/{safe_title}.{ext}")


def episode_title(title: str | None, url: str, position: int) -> str:
    """The title an episode is stored under: its own, else its file's name, else its position."""
    if title and title.strip():
        return " ".join(title.split())
    stem = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.strip() or f"Episode {position + 1}"
