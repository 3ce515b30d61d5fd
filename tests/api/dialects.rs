//! What every dialect shares: one record seen through every surface, the
//! root mount, vendor error shapes on limits, the OpenAPI document.
