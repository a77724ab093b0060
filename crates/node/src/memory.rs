//! Returning memory to the operating system after a zone load.
//!
//! Parsing a large zone allocates many small objects that are freed once
//! the snapshot is built; glibc keeps those pages in its heap, so without
//! this the resident size stays near the load-time peak.

#![allow(unsafe_code)]

/// Asks glibc to give freed heap pages back to the kernel.
pub fn release_free_memory() {
    // SAFETY: malloc_trim only walks glibc's own heap structures, takes its
    // own locks, and has no preconditions on the caller.
    unsafe {
        libc::malloc_trim(0);
    }
}
