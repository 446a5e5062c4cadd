//! Tests for RFC 8285 element reading and writing.

use proptest::prelude::*;

use super::*;

fn elements(form: ExtensionForm, data: &[u8]) -> Vec<(u8, Vec<u8>)> {
    ExtensionElements::new(form, data)
        .map(|e| (e.id, e.data.to_vec()))
        .collect()
}

/// RFC 8285 sec. 4.2 figure: one-byte elements of 1, 2 and 4 data bytes with two padding
/// bytes between the second and third (ids chosen as 1, 2, 3).
#[test]
fn rfc8285_one_byte_example() {
    let data = [
        0x10, 0xaa, 0x21, 0xbb, 0xbb, 0x00, 0x00, 0x33, 0xcc, 0xcc, 0xcc, 0xcc,
    ];
    assert_eq!(
        elements(ExtensionForm::OneByte, &data),
        [(1, vec![0xaa]), (2, vec![0xbb, 0xbb]), (3, vec![0xcc; 4])]
    );
}

/// RFC 8285 sec. 4.3 figure: two-byte elements of 0, 1 and 4 data bytes with one padding
/// byte before the third (ids chosen as 1, 2, 3).
#[test]
fn rfc8285_two_byte_example() {
    let data = [
        0x01, 0x00, 0x02, 0x01, 0xbb, 0x00, 0x03, 0x04, 0xcc, 0xcc, 0xcc, 0xcc,
    ];
    assert_eq!(
        elements(ExtensionForm::TwoByte, &data),
        [(1, vec![]), (2, vec![0xbb]), (3, vec![0xcc; 4])]
    );
    assert_eq!(
        ExtensionElements::new(ExtensionForm::TwoByte, &data).find(3),
        Some(&[0xcc; 4][..])
    );
    assert_eq!(
        ExtensionElements::new(ExtensionForm::TwoByte, &data).find(4),
        None
    );
}

#[test]
fn one_byte_id_15_ends_the_block() {
    let data = [0x10, 0xaa, 0xf0, 0x20, 0xbb, 0x00];
    let mut it = ExtensionElements::new(ExtensionForm::OneByte, &data);
    assert_eq!(it.next().map(|e| e.id), Some(1));
    assert_eq!(it.next(), None);
    assert!(!it.truncated());
}

#[test]
fn overlong_element_stops_and_flags() {
    let mut it = ExtensionElements::new(ExtensionForm::OneByte, &[0x10, 0xaa, 0x23, 0xbb]);
    assert_eq!(it.next().map(|e| e.id), Some(1));
    assert_eq!(it.next(), None);
    assert!(it.truncated());
    assert_eq!(it.next(), None);

    let mut it = ExtensionElements::new(ExtensionForm::TwoByte, &[0x05]);
    assert_eq!(it.next(), None);
    assert!(it.truncated());
}

#[test]
fn profile_recognition() {
    assert_eq!(
        ExtensionForm::from_profile(0xbede),
        Some(ExtensionForm::OneByte)
    );
    for appbits in 0..16 {
        assert_eq!(
            ExtensionForm::from_profile(0x1000 | appbits),
            Some(ExtensionForm::TwoByte)
        );
    }
    assert_eq!(ExtensionForm::from_profile(0x1010), None);
    assert_eq!(ExtensionForm::from_profile(0xbedf), None);
}

#[test]
fn writer_picks_form_and_pads() {
    let mut buf = [0xffu8; 24];
    let block = ExtensionWriter::write_all(
        &mut buf,
        &[
            ExtensionElement {
                id: 1,
                data: &[0xaa],
            },
            ExtensionElement {
                id: 14,
                data: &[0xbb; 16],
            },
        ],
    )
    .unwrap();
    assert_eq!(block.profile, 0xbede);
    // 2 + 17 element bytes, padded to 20.
    assert_eq!(block.data.len(), 20);
    assert_eq!(&block.data[..3], &[0x10, 0xaa, 0xef]);
    assert_eq!(&block.data[19..], &[0]);

    // id 15 forces the two-byte form.
    let mut buf = [0xffu8; 8];
    let block =
        ExtensionWriter::write_all(&mut buf, &[ExtensionElement { id: 15, data: &[7] }]).unwrap();
    assert_eq!(block.profile, 0x1000);
    assert_eq!(block.data, &[15, 1, 7, 0]);

    // An empty element forces the two-byte form as well.
    let mut buf = [0xffu8; 4];
    let block =
        ExtensionWriter::write_all(&mut buf, &[ExtensionElement { id: 2, data: &[] }]).unwrap();
    assert_eq!(block.profile, 0x1000);
    assert_eq!(block.data, &[2, 0, 0, 0]);
}

#[test]
fn writer_refuses_what_does_not_fit() {
    let mut buf = [0u8; 64];
    let mut w = ExtensionWriter::new(&mut buf, ExtensionForm::OneByte);
    assert_eq!(
        w.push(15, &[1]),
        Err(ExtensionError::DoesNotFit { id: 15, len: 1 })
    );
    assert_eq!(
        w.push(1, &[0; 17]),
        Err(ExtensionError::DoesNotFit { id: 1, len: 17 })
    );
    let mut w = ExtensionWriter::new(&mut buf, ExtensionForm::TwoByte);
    assert_eq!(
        w.push(0, &[1]),
        Err(ExtensionError::DoesNotFit { id: 0, len: 1 })
    );
    let mut small = [0u8; 3];
    let mut w = ExtensionWriter::new(&mut small, ExtensionForm::OneByte);
    assert_eq!(
        w.push(1, &[1, 2, 3]),
        Err(ExtensionError::BufferTooSmall(4))
    );
    w.push(1, &[1, 2]).unwrap();
    assert_eq!(w.finish(), Err(ExtensionError::BufferTooSmall(4)));
}

fn element_list() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    proptest::collection::vec(
        (1u8..=255, proptest::collection::vec(any::<u8>(), 0..20)),
        0..8,
    )
}

fn one_byte_list() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    proptest::collection::vec(
        (1u8..=14, proptest::collection::vec(any::<u8>(), 1..=16)),
        0..8,
    )
}

fn round_trip(list: &[(u8, Vec<u8>)]) -> (ExtensionForm, Vec<(u8, Vec<u8>)>) {
    let input: Vec<_> = list
        .iter()
        .map(|(id, data)| ExtensionElement { id: *id, data })
        .collect();
    let mut buf = [0u8; 512];
    let block = ExtensionWriter::write_all(&mut buf, &input).unwrap();
    assert_eq!(block.data.len() % 4, 0);
    let form = ExtensionForm::from_profile(block.profile).unwrap();
    (form, elements(form, block.data))
}

proptest! {
    #[test]
    fn write_then_iterate_round_trips(list in element_list()) {
        let (_, back) = round_trip(&list);
        prop_assert_eq!(back, list);
    }

    #[test]
    fn one_byte_eligible_lists_use_one_byte(list in one_byte_list()) {
        let (form, back) = round_trip(&list);
        prop_assert_eq!(form, ExtensionForm::OneByte);
        prop_assert_eq!(back, list);
    }

    #[test]
    fn any_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        for form in [ExtensionForm::OneByte, ExtensionForm::TwoByte] {
            let mut it = ExtensionElements::new(form, &data);
            let mut consumed = 0;
            for e in it.by_ref() {
                consumed += e.data.len();
            }
            prop_assert!(consumed <= data.len());
            let _ = it.truncated();
        }
    }
}
