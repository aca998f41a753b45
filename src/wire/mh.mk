# src/wire/mh: filled in by its module
