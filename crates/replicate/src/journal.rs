//! Placeholder; see the journal task.
