//! The Prometheus text exposition of [`NodeMetrics`]: one `# HELP`/`# TYPE` header per
//! family, then one sample per core (or per core and label).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use medianode_dataplane::conference::DropReason;

use super::{CoreBackend, CoreMetrics, NodeMetrics, HEARTBEAT_STALE_AFTER};

/// Per-core counters and gauges that are one number each: name, help, type, reader.
type CoreFamily = (
    &'static str,
    &'static str,
    &'static str,
    fn(&CoreMetrics) -> &AtomicU64,
);

const CORE_FAMILIES: [CoreFamily; 16] = [
    (
        "medianode_core_housekeeping_total",
        "Housekeeping runs per core (the core's event loop is turning).",
        "counter",
        |c| &c.housekeeping_runs,
    ),
    (
        "medianode_core_commands_total",
        "Control commands handled per core.",
        "counter",
        |c| &c.commands_handled,
    ),
    (
        "medianode_core_packets_in_total",
        "Datagrams received by the core, whatever became of them.",
        "counter",
        |c| &c.media.packets_in,
    ),
    (
        "medianode_core_bytes_in_total",
        "Bytes of the datagrams received by the core.",
        "counter",
        |c| &c.media.bytes_in,
    ),
    (
        "medianode_core_packets_out_total",
        "Datagrams the core produced for sending (forwarded media and its own RTCP).",
        "counter",
        |c| &c.media.packets_out,
    ),
    (
        "medianode_core_bytes_out_total",
        "Bytes of the datagrams the core produced for sending, after SRTP protection.",
        "counter",
        |c| &c.media.bytes_out,
    ),
    (
        "medianode_core_rtcp_terminated_total",
        "RTCP compounds the core consumed from plain and hop-by-hop legs.",
        "counter",
        |c| &c.media.rtcp_terminated,
    ),
    (
        "medianode_core_rtcp_reports_sent_total",
        "RTCP receiver reports the core sent.",
        "counter",
        |c| &c.media.rtcp_reports_sent,
    ),
    (
        "medianode_core_events_dropped_total",
        "Core events lost because the core's event queue was full.",
        "counter",
        |c| &c.media.events_dropped,
    ),
    (
        "medianode_core_send_failures_total",
        "Datagrams the socket layer could not send.",
        "counter",
        |c| &c.io.send_failed,
    ),
    (
        "medianode_core_icmp_errors_total",
        "ICMP errors (port unreachable...) the kernel reported on the core's sockets.",
        "counter",
        |c| &c.io.icmp_errors,
    ),
    (
        "medianode_core_recv_truncated_total",
        "Received datagrams larger than a receive buffer, dropped.",
        "counter",
        |c| &c.io.truncated,
    ),
    (
        "medianode_core_recv_buffers_exhausted_total",
        "Times the io_uring receive buffers ran out.",
        "counter",
        |c| &c.io.buffers_exhausted,
    ),
    (
        "medianode_conferences",
        "Conferences placed on the core.",
        "gauge",
        |c| &c.media.conferences,
    ),
    (
        "medianode_legs",
        "Legs (media sockets) on the core.",
        "gauge",
        |c| &c.media.legs,
    ),
    (
        "medianode_active_talkers",
        "Talkers selected now, over the core's conferences.",
        "gauge",
        |c| &c.media.active_talkers,
    ),
];

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    // Writing to a String cannot fail; here and below the result is ignored for that reason.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

pub(super) fn render(metrics: &NodeMetrics, now: Instant) -> String {
    let mut out = String::with_capacity(8192);
    let since_start = now.saturating_duration_since(metrics.started);
    header(
        &mut out,
        "medianode_build_info",
        "Version and the SIMD backend chosen at start-up.",
        "gauge",
    );
    let _ = writeln!(
        out,
        "medianode_build_info{{version=\"{}\",simd=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        metrics.simd_backend
    );
    header(
        &mut out,
        "medianode_uptime_seconds",
        "Seconds since the node started.",
        "gauge",
    );
    let _ = writeln!(
        out,
        "medianode_uptime_seconds {:.3}",
        since_start.as_secs_f64()
    );
    header(
        &mut out,
        "medianode_cores",
        "Media cores configured.",
        "gauge",
    );
    let _ = writeln!(out, "medianode_cores {}", metrics.cores.len());
    header(
        &mut out,
        "medianode_core_up",
        "1 when the core's heartbeat is fresh, labelled with its event-loop backend.",
        "gauge",
    );
    for core in &metrics.cores {
        let up = core
            .heartbeat_age(since_start)
            .is_some_and(|age| age <= HEARTBEAT_STALE_AFTER);
        let backend = core.backend().map_or("none", CoreBackend::as_str);
        let _ = writeln!(
            out,
            "medianode_core_up{{core=\"{}\",backend=\"{backend}\"}} {}",
            core.index,
            u8::from(up)
        );
    }
    header(
        &mut out,
        "medianode_core_packet_io",
        "The socket layer backend of each core (io_uring or mmsg), as a label.",
        "gauge",
    );
    for core in &metrics.cores {
        let backend = core.packet_io().unwrap_or("none");
        let _ = writeln!(
            out,
            "medianode_core_packet_io{{core=\"{}\",backend=\"{backend}\"}} 1",
            core.index
        );
    }
    for (name, help, kind, read) in CORE_FAMILIES {
        header(&mut out, name, help, kind);
        for core in &metrics.cores {
            let value = read(core).load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}{{core=\"{}\"}} {value}", core.index);
        }
    }
    render_drops(&mut out, metrics);
    render_batch_sizes(&mut out, metrics);
    super::mixer::render_mixing(&mut out, metrics);
    super::forward_delay::render_forward_delays(&mut out, metrics);
    render_admin(&mut out, metrics);
    super::conference_metrics::render_conferences(&mut out, &metrics.cores);
    super::sip::render_sip(&mut out, &super::sip::SERVER, &super::sip::CLIENT);
    out
}

fn render_drops(out: &mut String, metrics: &NodeMetrics) {
    let name = "medianode_core_drops_total";
    header(
        out,
        name,
        "Datagrams the core dropped, by reason.",
        "counter",
    );
    for core in &metrics.cores {
        for (cell, reason) in core.media.drops.iter().zip(DropReason::ALL) {
            let _ = writeln!(
                out,
                "{name}{{core=\"{}\",reason=\"{}\"}} {}",
                core.index,
                reason.label(),
                cell.load(Ordering::Relaxed)
            );
        }
    }
}

fn render_batch_sizes(out: &mut String, metrics: &NodeMetrics) {
    let name = "medianode_core_recv_batch_size";
    header(
        out,
        name,
        "Datagrams per receive batch (calls that returned none are not counted).",
        "histogram",
    );
    for core in &metrics.cores {
        let (rows, sum, count) = core.batch_sizes.cumulative();
        for (le, value) in rows {
            let _ = writeln!(
                out,
                "{name}_bucket{{core=\"{}\",le=\"{le}\"}} {value}",
                core.index
            );
        }
        let _ = writeln!(out, "{name}_sum{{core=\"{}\"}} {sum}", core.index);
        let _ = writeln!(out, "{name}_count{{core=\"{}\"}} {count}", core.index);
    }
}

fn render_admin(out: &mut String, metrics: &NodeMetrics) {
    let name = "medianode_admin_requests_total";
    header(
        out,
        name,
        "Admin API requests answered, by status class.",
        "counter",
    );
    for class in 2..=5u16 {
        let _ = writeln!(
            out,
            "{name}{{status=\"{class}xx\"}} {}",
            metrics.admin.count(class)
        );
    }
}
