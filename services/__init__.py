"""Use cases: one call per user action, combining storage with domain rules."""
