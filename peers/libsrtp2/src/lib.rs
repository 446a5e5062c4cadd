//! Binding to the system libsrtp2 for interop tests and benchmarks (filled in by the SRTP work).
