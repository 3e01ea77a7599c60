"""Escalation packets in SQL: ESC-NNNN numbers handed out under a per-database lock (so
two replicas never take the same one), a new version only when the content changed."""

from __future__ import annotations

from bot.store.backends import Backend, Tx
from bot.store.records import PacketRecord, PacketSummary

__all__ = ["list_packets", "packet", "packet_for_thread", "save_packet"]

_SELECT = ("SELECT v.packet_id, v.version, p.thread_key, v.product, v.author, v.title,"
           " v.markdown, v.data_json, v.created_at"
           " FROM packet_versions v JOIN packets p ON p.id = v.packet_id WHERE v.packet_id = ?")


def save_packet(backend: Backend, tx: Tx, thread_key: str, *, product: str | None,
                author: str | None, title: str, markdown: str, data_json: str,
                now: float) -> PacketRecord:
    """The thread's first save makes ESC-NNNN v1, later saves add versions; content equal
    to the latest version (a double click) returns that version."""
    backend.lock(tx, "packets")
    found = tx.execute("SELECT id, latest_version FROM packets WHERE thread_key = ?",
                       (thread_key,)).fetchone()
    if found is None:
        seq = int(tx.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM packets").fetchone()[0])
        packet_id, version = f"ESC-{seq:04d}", 1
        tx.execute("INSERT INTO packets (id, seq, thread_key, product, author, title,"
                   " latest_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                   (packet_id, seq, thread_key, product, author, title, now, now))
    else:
        packet_id, latest = found
        same = tx.execute("SELECT 1 FROM packet_versions WHERE packet_id = ? AND version = ?"
                          " AND markdown = ? AND data_json = ?",
                          (packet_id, latest, markdown, data_json)).fetchone()
        if same:
            record = packet(tx, packet_id, latest)
            assert record is not None
            return record
        version = latest + 1
        tx.execute("UPDATE packets SET product = ?, author = ?, title = ?, latest_version = ?,"
                   " updated_at = ? WHERE id = ?",
                   (product, author, title, version, now, packet_id))
    tx.execute("INSERT INTO packet_versions (packet_id, version, product, author, title,"
               " markdown, data_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (packet_id, version, product, author, title, markdown, data_json, now))
    return PacketRecord(packet_id, version, thread_key, product, author, title, markdown,
                        data_json, now)


def packet(tx: Tx, packet_id: str, version: int | None) -> PacketRecord | None:
    """A packet's given version, or its latest when version is None."""
    if version is None:
        row = tx.execute(_SELECT + " AND v.version = p.latest_version", (packet_id,)).fetchone()
    else:
        row = tx.execute(_SELECT + " AND v.version = ?", (packet_id, version)).fetchone()
    return PacketRecord(*row) if row else None


def packet_for_thread(tx: Tx, thread_key: str) -> PacketRecord | None:
    row = tx.execute("SELECT id FROM packets WHERE thread_key = ?", (thread_key,)).fetchone()
    return packet(tx, row[0], None) if row else None


def list_packets(tx: Tx, limit: int) -> list[PacketSummary]:
    rows = tx.execute("SELECT id, thread_key, product, author, title, latest_version,"
                      " created_at, updated_at FROM packets"
                      " ORDER BY updated_at DESC, seq DESC LIMIT ?", (limit,)).fetchall()
    return [PacketSummary(*row) for row in rows]
