//! The clio_grow dialect (docs/dialects/clio-grow.md): every seed example replayed, on both stores.
