//! The calmintake dialect (docs/dialects/calmintake.md): every seed example replayed, on both stores.
