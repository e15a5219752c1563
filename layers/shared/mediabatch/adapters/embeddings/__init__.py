"""Sentence embeddings: all-MiniLM-L6-v2 with torch, or as an int8 ONNX model."""
