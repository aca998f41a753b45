# src/conf: filled in by its module
