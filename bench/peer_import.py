"""Copies bench_seed's clients into Directus's `clients` collection (bench/peer.sh).

    python3 bench/peer_import.py DIRECTUS_DB CLIENTELE_SEED IDS_IN IDS_OUT

Every live client of the Clientele seed becomes a row of the collection made
from bench/peer-collection.json, field for field, with its id as a UUID (a
ULID is 128 bits, as a UUID is). IDS_OUT gets the ids of IDS_IN (Clientele's
`cli_…` spelling, one per line) as Directus spells them, so that both servers
are asked for the same clients.
"""

import sqlite3
import sys

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COLUMNS = ("kind, first_name, last_name, name, email, phone, status, tags, address, "
           "custom_fields, date_of_birth, notes, version, created_at, updated_at")
# The seed keeps ids as their 16 bytes.
UUID_OF_BLOB = ("lower(substr(hex(id), 1, 8) || '-' || substr(hex(id), 9, 4) || '-' || "
                "substr(hex(id), 13, 4) || '-' || substr(hex(id), 17, 4) || '-' || substr(hex(id), 21))")


def uuid_of(typed_id):
    n = 0
    for ch in typed_id.split("_", 1)[1]:
        n = n * 32 + CROCKFORD.index(ch)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def main(directus, seed, ids_in, ids_out):
    db = sqlite3.connect(directus)
    db.execute("ATTACH ? AS seed", (seed,))
    with db:
        db.execute(f"INSERT INTO clients (id, {COLUMNS}) "
                   f"SELECT {UUID_OF_BLOB}, {COLUMNS} FROM seed.clients WHERE deleted_at IS NULL ORDER BY seq")
    db.execute("DETACH seed")
    db.execute("ANALYZE")
    with open(ids_in) as src, open(ids_out, "w") as out:
        for line in src:
            if line.strip():
                out.write(uuid_of(line.strip()) + "\n")
    rows = db.execute("SELECT count(*) FROM clients").fetchone()[0]
    print(f"[peer] {rows} clients copied into {directus}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:5])
