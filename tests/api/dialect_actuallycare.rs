//! The actuallycare dialect (docs/dialects/actuallycare.md): every seed example replayed, on both stores.
