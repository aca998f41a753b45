# src/io: filled in by its module
