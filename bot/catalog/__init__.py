"""The catalog: YAML files go in, a validated `Catalog` of products and entries comes out.

`model` holds the dataclasses every feature reads; `shapes` the shape of a catalog file
(validated with msgspec, printed as JSON Schema by `errcode catalog schema`); `load`
reads and validates the files (the shipped ones by default, found as package data) and
builds the model; `render` lists it as text.
"""
