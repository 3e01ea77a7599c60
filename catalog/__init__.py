"""Marks the shipped catalog as a package, so it installs as `bot.catalog.shipped` data."""
