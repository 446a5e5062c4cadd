//! CPU time of each media core, read from `/proc/self/task`: the threads named
//! `medianode-core-*` (the event loop, and glommio's helper on io_uring cores), grouped by
//! the one CPU each is pinned to, which for core `i` is CPU `i`. Totals only; the page turns
//! two readings into a percentage.

use std::fs;

/// Thread names are cut to 15 bytes by the kernel: `medianode-core-` is what remains.
const CORE_THREAD_PREFIX: &str = "medianode-core";

/// Seconds of CPU the threads of each core `0..cores` have used, or `None` where none was
/// found (not Linux, or the core has not started).
pub fn core_cpu_seconds(cores: usize) -> Vec<Option<f64>> {
    let mut seconds: Vec<Option<f64>> = vec![None; cores];
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return seconds;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let is_core = fs::read_to_string(dir.join("comm"))
            .is_ok_and(|comm| comm.trim_end().starts_with(CORE_THREAD_PREFIX));
        if !is_core {
            continue;
        }
        let Some(cpu) = fs::read_to_string(dir.join("status"))
            .ok()
            .and_then(|status| pinned_cpu(&status))
        else {
            continue;
        };
        let Some(used) = fs::read_to_string(dir.join("schedstat"))
            .ok()
            .and_then(|text| on_cpu_seconds(&text))
        else {
            continue;
        };
        if let Some(slot) = seconds.get_mut(cpu) {
            *slot = Some(slot.unwrap_or(0.0) + used);
        }
    }
    seconds
}

/// The CPU a thread may run on, when it is exactly one (`Cpus_allowed_list:\t3`).
fn pinned_cpu(status: &str) -> Option<usize> {
    let list = status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))?
        .trim();
    list.parse().ok()
}

/// The first field of `schedstat`: nanoseconds spent on a CPU.
fn on_cpu_seconds(schedstat: &str) -> Option<f64> {
    let ns: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_threads_and_their_time_are_read_from_proc_text() {
        let status = "Name:\tmedianode-core-\nCpus_allowed:\t2\nCpus_allowed_list:\t1\n";
        assert_eq!(pinned_cpu(status), Some(1));
        assert_eq!(pinned_cpu("Cpus_allowed_list:\t0-3\n"), None);
        assert_eq!(on_cpu_seconds("2500000000 123 45\n"), Some(2.5));
        assert_eq!(on_cpu_seconds(""), None);
    }

    #[test]
    fn a_pinned_thread_of_this_process_is_found() {
        let handle = std::thread::Builder::new()
            .name("medianode-core-0".to_owned())
            .spawn(|| {
                let pinned = core_affinity::set_for_current(core_affinity::CoreId { id: 0 });
                // Spin until this thread has run 30 ms (on a busy machine that takes longer
                // than 30 ms of wall time), or give up after 5 s.
                let started = std::time::Instant::now();
                let mut x = 0u64;
                while started.elapsed() < std::time::Duration::from_secs(5)
                    && core_cpu_seconds(1)[0].is_none_or(|s| s < 0.03)
                {
                    for _ in 0..100_000 {
                        x = std::hint::black_box(x.wrapping_add(1));
                    }
                }
                (pinned, core_cpu_seconds(1), x)
            })
            .unwrap();
        let (pinned, seconds, _) = handle.join().unwrap();
        assert!(pinned, "CPU 0 is allowed");
        let used = seconds[0].expect("the pinned thread is found");
        assert!(used > 0.01, "{used}");
    }
}
