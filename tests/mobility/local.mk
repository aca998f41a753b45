# tests/mobility: fragment (filled in by its owner)
