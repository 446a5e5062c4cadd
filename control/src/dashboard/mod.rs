//! The live page at `/` on the node's HTTP port: conferences, legs, talkers, packet rates
//! and CPU per core, redrawn every second, for an operator with nothing but a browser.
//!
//! The page is three files compiled into the binary (`page.html`, `page.js`, `page.css`)
//! and draws its charts on plain canvases: no external network, no build step. It polls
//! `GET /v1/overview` ([`overview`]), a JSON summary made from the same `/metrics` text a
//! Prometheus scrape gets, the admin API's conference list and the cores' CPU time.

mod overview;
mod prometheus_text;
mod thread_cpu;

pub use overview::{overview, MAX_LISTED_CONFERENCES};
pub use prometheus_text::{samples, Sample};
pub use thread_cpu::core_cpu_seconds;

/// The page's HTML.
pub const PAGE_HTML: &str = include_str!("page.html");
/// The page's script.
pub const PAGE_JS: &str = include_str!("page.js");
/// The page's style sheet.
pub const PAGE_CSS: &str = include_str!("page.css");

/// The path of the JSON the page polls.
pub const OVERVIEW_PATH: &str = "/v1/overview";

/// A static file of the page: its bytes and content type, for `path`.
pub fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "/" | "/index.html" => Some((PAGE_HTML, "text/html; charset=utf-8")),
        "/dashboard.js" => Some((PAGE_JS, "text/javascript; charset=utf-8")),
        "/dashboard.css" => Some((PAGE_CSS, "text/css; charset=utf-8")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use medianode_dataplane::conference::{ConferenceId, CoreCounters, LegId, SelectionPolicy};

    use super::*;
    use crate::admin::{AdminApi, CoreClient, LegRecord, Registry};
    use crate::metrics::{CoreBackend, CoreMetrics, NodeMetrics};

    #[test]
    fn the_page_links_only_its_own_files() {
        assert!(PAGE_HTML.contains("src=\"/dashboard.js\""));
        assert!(PAGE_HTML.contains("href=\"/dashboard.css\""));
        assert!(PAGE_JS.contains(OVERVIEW_PATH));
        for text in [PAGE_HTML, PAGE_JS, PAGE_CSS] {
            assert!(!text.contains("http://") && !text.contains("https://"));
        }
        assert_eq!(asset("/").map(|(_, t)| t), Some("text/html; charset=utf-8"));
        assert!(asset("/other").is_none());
    }

    #[test]
    fn the_overview_joins_metrics_conferences_and_talkers() {
        let started = Instant::now();
        let cores = vec![Arc::new(CoreMetrics::new(0)), Arc::new(CoreMetrics::new(1))];
        cores[1].set_backend(CoreBackend::Threads);
        cores[1].record_housekeeping(Duration::from_millis(1));
        let mut counters = CoreCounters::default();
        counters.packets_in = 1234;
        counters.packets_out = 2000;
        counters.legs = 2;
        counters.drops.not_selected = 5;
        cores[1].publish_media(&counters);
        let metrics = NodeMetrics::new(started, "scalar", cores);

        let mut registry = Registry::new(2);
        let conference = ConferenceId(7);
        registry.insert_conference(conference, 1, SelectionPolicy::loudest(2));
        for leg in [LegId(3), LegId(4)] {
            registry.insert_leg(
                leg,
                LegRecord {
                    conference,
                    local: "127.0.0.1:20000".parse().unwrap(),
                    codec: "PCMU",
                    payload_type: 0,
                    mode: "plain",
                    suite: None,
                    participant: None,
                },
            );
        }
        registry.set_talkers(conference, vec![LegId(4)]);
        let admin = AdminApi::new(
            CoreClient::new(Vec::new(), Duration::from_millis(10)),
            Arc::new(Mutex::new(registry)),
        );

        let value = overview(&metrics, &admin, started + Duration::from_millis(2));
        assert_eq!(value["simd"], "scalar");
        assert_eq!(value["cores"][1]["packets_in"], 1234);
        assert_eq!(value["cores"][1]["backend"], "threads");
        assert_eq!(value["cores"][1]["drops"], 5);
        assert_eq!(value["cores"][0]["packets_in"], 0);
        assert_eq!(value["totals"]["packets_out"], 2000);
        assert_eq!(value["totals"]["conferences"], 1);
        assert_eq!(value["totals"]["legs"], 2);
        assert_eq!(value["totals"]["talkers"], 1);
        assert_eq!(value["drops_by_reason"]["not_selected"], 5);
        assert_eq!(value["conferences"][0]["id"], "7");
        assert_eq!(value["conferences"][0]["talkers"][0], "4");
        assert_eq!(value["cores"].as_array().unwrap().len(), 2);
    }
}
