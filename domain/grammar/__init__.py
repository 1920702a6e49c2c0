"""One module per grammar of the slash commands; ``domain.parsing`` re-exports the public names."""
