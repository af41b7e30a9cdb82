"""Helpers shared by test packages (servers, media makers)."""
