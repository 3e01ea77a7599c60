"""`errcode db check|upgrade`: the storage schema, for operators."""

from __future__ import annotations

import sys

from bot.cli.context import Context


def cmd_db_check(ctx: Context) -> int:
    """0: the schema is the latest; 1: behind (or newer than this errcode); 2: unreachable."""
    from bot.store import LATEST, StoreError, schema_version_at

    shown = ctx.settings.store_url_shown
    try:
        version = schema_version_at(ctx.settings.store_url)
    except StoreError as err:
        print(f"errcode: storage unreachable: {err}", file=sys.stderr)
        return 2
    if version == LATEST:
        print(f"ok: {shown} is at schema version {version} (the latest)")
        return 0
    if version > LATEST:
        print(f"newer: {shown} is at schema version {version}, newer than this errcode "
              f"({LATEST}): upgrade errcode")
        return 1
    print(f"behind: {shown} is at schema version {version}, the latest is {LATEST}: "
          "run `errcode db upgrade`")
    return 1


def cmd_db_upgrade(ctx: Context) -> int:
    """Migrate to the latest schema; safe while replicas run or start (it takes a lock)."""
    from bot.store import Store, StoreError

    shown = ctx.settings.store_url_shown
    try:
        with Store(ctx.settings.store_url, migrate=False, create=True) as store:
            before, after = store.migrate()
    except StoreError as err:
        reachable = "newer than this errcode" in err.detail
        print(f"errcode: {'cannot upgrade' if reachable else 'storage unreachable'}: {err}",
              file=sys.stderr)
        return 1 if reachable else 2
    if before == after:
        print(f"ok: {shown} is already at schema version {after} (the latest)")
    else:
        print(f"upgraded: {shown} from schema version {before} to {after}")
    return 0


