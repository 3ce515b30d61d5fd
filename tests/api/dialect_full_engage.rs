//! The full_engage dialect (docs/dialects/full-engage.md): every seed example replayed, on both stores.
