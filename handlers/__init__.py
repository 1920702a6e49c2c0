"""Thin Slack listeners, registered per surface through ``register(app, ctx)`` functions."""
