"""Tables, engine, queries and migrations. Every row is scoped to one Slack workspace."""
