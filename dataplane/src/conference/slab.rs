//! Dense storage for a core's legs and conferences: entries live in reusable slots, named
//! on the hot path by slot number, and each slot carries a generation so a timer or
//! handle left over from a removed entry never reaches its successor.

/// A slot's number and the generation of the entry it held when the handle was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct SlotHandle {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

#[derive(Debug)]
struct Entry<T> {
    generation: u32,
    value: Option<T>,
}

/// Values in numbered slots; freed slots are reused.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Slab<T> {
    pub(crate) fn new() -> Self {
        Self {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    /// Live entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores `value` and returns its handle.
    pub(crate) fn insert(&mut self, value: T) -> SlotHandle {
        self.len += 1;
        if let Some(slot) = self.free.pop() {
            if let Some(entry) = self.entries.get_mut(slot as usize) {
                entry.generation = entry.generation.wrapping_add(1);
                entry.value = Some(value);
                return SlotHandle {
                    slot,
                    generation: entry.generation,
                };
            }
        }
        let slot = self.entries.len() as u32;
        self.entries.push(Entry {
            generation: 0,
            value: Some(value),
        });
        SlotHandle {
            slot,
            generation: 0,
        }
    }

    /// Takes the value out of `slot`, freeing it.
    pub(crate) fn remove(&mut self, slot: u32) -> Option<T> {
        let value = self.entries.get_mut(slot as usize)?.value.take()?;
        self.free.push(slot);
        self.len -= 1;
        Some(value)
    }

    pub(crate) fn get(&self, slot: u32) -> Option<&T> {
        self.entries.get(slot as usize)?.value.as_ref()
    }

    pub(crate) fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        self.entries.get_mut(slot as usize)?.value.as_mut()
    }

    /// The value behind `handle`, if its slot still holds that generation.
    pub(crate) fn get_handle_mut(&mut self, handle: SlotHandle) -> Option<&mut T> {
        let entry = self.entries.get_mut(handle.slot as usize)?;
        if entry.generation != handle.generation {
            return None;
        }
        entry.value.as_mut()
    }

    /// The value behind `handle`, if its slot still holds that generation.
    pub(crate) fn get_handle(&self, handle: SlotHandle) -> Option<&T> {
        let entry = self.entries.get(handle.slot as usize)?;
        if entry.generation != handle.generation {
            return None;
        }
        entry.value.as_ref()
    }

    /// The handle of the live value in `slot`.
    pub(crate) fn handle(&self, slot: u32) -> Option<SlotHandle> {
        let entry = self.entries.get(slot as usize)?;
        entry.value.as_ref().map(|_| SlotHandle {
            slot,
            generation: entry.generation,
        })
    }

    /// Live values with their slots.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.value.as_ref().map(|v| (i as u32, v)))
    }

    /// Live values with their slots, writable.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut T)> + '_ {
        self.entries
            .iter_mut()
            .enumerate()
            .filter_map(|(i, e)| e.value.as_mut().map(|v| (i as u32, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_slot_refuses_stale_handles() {
        let mut slab = Slab::new();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.remove(a.slot), Some("a"));
        assert_eq!(slab.remove(a.slot), None);
        let c = slab.insert("c");
        assert_eq!(c.slot, a.slot);
        assert_ne!(c.generation, a.generation);
        assert!(slab.get_handle_mut(a).is_none());
        assert_eq!(slab.get_handle_mut(c).copied(), Some("c"));
        assert_eq!(slab.get(b.slot).copied(), Some("b"));
        assert_eq!(slab.iter().count(), 2);
    }
}
