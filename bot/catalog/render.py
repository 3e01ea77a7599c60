"""Catalog -> plain text (`errcode catalog list`)."""


from __future__ import annotations

from bot.catalog.model import Catalog


def catalog_text(catalog: Catalog, product: str | None = None) -> str:
    """`errcode catalog list`: codes grouped by product."""
    out = []
    for name, p in catalog.products.items():
        if product and name != product:
            continue
        entries = catalog.by_catalog(name)
        out.append(f"{p.name} ({name}.yml, {len(entries)} entries)")
        for e in entries:
            status = str(e.http_status) if e.http_status else "   "
            out.append(f"  {status}  {e.code:<44} {e.title}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


