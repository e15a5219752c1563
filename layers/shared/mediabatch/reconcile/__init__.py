"""Drives work that stopped half-way (a crash, a lost start, a lost event) to its end."""
