"""Wiring: configuration, the Bolt app factory, the HTTP server, the CLI."""
