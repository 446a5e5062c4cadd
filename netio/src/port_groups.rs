//! An outbox's datagrams grouped by the socket they leave from, so each socket gets one
//! batched send; each group keeps the core's order (a destination sees its packets in
//! sequence).

use medianode_dataplane::conference::OutDatagram;

/// Reusable index storage for grouping.
#[derive(Debug, Default)]
pub(crate) struct PortGroups {
    order: Vec<u32>,
}

impl PortGroups {
    /// Groups `datagrams` by local port and calls `send(port, group)` for each group, in
    /// ascending port order, with the group's datagrams in their original order.
    pub(crate) fn for_each<'a>(
        &mut self,
        datagrams: &'a [OutDatagram],
        mut send: impl FnMut(u16, &mut dyn Iterator<Item = &'a OutDatagram>),
    ) {
        let Some(first) = datagrams.first() else {
            return;
        };
        if datagrams
            .iter()
            .all(|d| d.local_port() == first.local_port())
        {
            send(first.local_port(), &mut datagrams.iter());
            return;
        }
        self.order.clear();
        self.order.extend(0..datagrams.len() as u32);
        let port_of = |i: u32| datagrams.get(i as usize).map_or(0, OutDatagram::local_port);
        self.order.sort_unstable_by_key(|&i| (port_of(i), i));
        for group in self.order.chunk_by(|&a, &b| port_of(a) == port_of(b)) {
            let Some(&head) = group.first() else {
                continue;
            };
            let mut members = group.iter().filter_map(|&i| datagrams.get(i as usize));
            send(port_of(head), &mut members);
        }
    }
}
