//! The control side of medianode and the `medianode` binary's building blocks.
//!
//! This crate owns everything that is not the packet path: configuration, the per-core
//! runtime that hosts the dataplane, the operator HTTP surface (health, metrics, the admin
//! API) and the SIP control plane. It never touches packets itself; it talks to the cores
//! through typed commands and hears from them through events.

#![forbid(unsafe_code)]

pub mod admin;
pub mod config;
pub mod dashboard;
pub mod http;
pub mod metrics;
pub mod node;
pub mod recording;
pub mod runtime;
pub mod sip;
pub mod sip_server;
