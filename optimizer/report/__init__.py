"""Writing and presenting results."""
