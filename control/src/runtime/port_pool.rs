//! The media ports one core owns and which of them its legs hold.
//!
//! Ports are handed out round-robin from the core's slice of `media.port_min..=port_max`,
//! so a port just released is the last to be reused: a late packet meant for a removed leg
//! is less likely to land on a new one.

use std::collections::HashSet;
use std::ops::RangeInclusive;

/// The core's port range and the ports in use.
#[derive(Debug)]
pub(super) struct PortPool {
    range: RangeInclusive<u16>,
    next: u16,
    used: HashSet<u16>,
}

impl PortPool {
    /// A pool over `range`, all free.
    pub(super) fn new(range: RangeInclusive<u16>) -> PortPool {
        PortPool {
            next: *range.start(),
            range,
            used: HashSet::new(),
        }
    }

    /// The whole range.
    pub(super) fn range(&self) -> RangeInclusive<u16> {
        self.range.clone()
    }

    /// The free ports in the order to try them, starting after the last one handed out.
    pub(super) fn candidates(&self) -> impl Iterator<Item = u16> + '_ {
        let (start, end) = (*self.range.start(), *self.range.end());
        (self.next..=end)
            .chain(start..self.next)
            .filter(|port| !self.used.contains(port))
    }

    /// Marks `port` as held.
    pub(super) fn take(&mut self, port: u16) {
        self.used.insert(port);
        self.next = if port >= *self.range.end() {
            *self.range.start()
        } else {
            port + 1
        };
    }

    /// Gives `port` back.
    pub(super) fn release(&mut self, port: u16) {
        self.used.remove(&port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_round_robin_and_skips_held_ports() {
        let mut pool = PortPool::new(10..=13);
        let first = pool.candidates().next().unwrap();
        pool.take(first);
        let second = pool.candidates().next().unwrap();
        pool.take(second);
        assert_eq!((first, second), (10, 11));
        pool.release(10);
        let order: Vec<u16> = pool.candidates().collect();
        assert_eq!(order, vec![12, 13, 10]);
        pool.take(12);
        pool.take(13);
        assert_eq!(pool.candidates().collect::<Vec<_>>(), vec![10]);
        pool.take(10);
        assert_eq!(pool.candidates().next(), None);
    }

    #[test]
    fn a_pool_at_the_top_of_the_port_space_wraps() {
        let mut pool = PortPool::new(65534..=65535);
        pool.take(65535);
        assert_eq!(pool.candidates().collect::<Vec<_>>(), vec![65534]);
    }
}
