"""Hybrid batch uploads: presigned S3 PUTs and multipart parts (seed: batch-upload-frontend.md)."""
