"""flytekit's ``flytekit.models.core``: identifiers, execution phases and errors, blob and enum types."""
