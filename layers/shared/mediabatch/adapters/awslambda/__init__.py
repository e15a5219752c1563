"""Calls to other Lambda functions."""
