//! Converting a wait bound to what the kernel's wait calls take.

use std::time::Duration;

/// `timeout` in whole milliseconds for `epoll_wait`/`poll`, rounded up so a wait never
/// ends before its bound with nothing to show (1 us becomes 1 ms, zero stays zero).
pub(crate) fn millis_rounded_up(timeout: Duration) -> i32 {
    let micros = timeout.as_micros();
    let millis = micros.div_ceil(1000);
    i32::try_from(millis).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_and_saturates() {
        assert_eq!(millis_rounded_up(Duration::ZERO), 0);
        assert_eq!(millis_rounded_up(Duration::from_micros(1)), 1);
        assert_eq!(millis_rounded_up(Duration::from_millis(7)), 7);
        assert_eq!(millis_rounded_up(Duration::from_micros(7001)), 8);
        assert_eq!(millis_rounded_up(Duration::from_secs(u64::MAX)), i32::MAX);
    }
}
