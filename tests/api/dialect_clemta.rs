//! The clemta dialect (docs/dialects/clemta.md): every seed example replayed, on both stores.
