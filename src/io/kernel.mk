# src/io: fragment (filled in by its owner)
