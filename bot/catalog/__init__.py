"""The catalog: YAML files go in, a validated `Catalog` of products and entries comes out.

`model` holds the dataclasses every feature reads; `load` parses and validates the files
(the shipped ones by default, found as package data); `render` lists it as text.
"""
