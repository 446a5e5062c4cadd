//! Any bytes as an RFC 8285 extension block (first byte picks the form); whatever the
//! iterator yields must write back and iterate to the same elements.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medianode_dataplane::rtp::extension::{
    ExtensionElement, ExtensionElements, ExtensionForm, ExtensionWriter,
};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, block)) = data.split_first() else {
        return;
    };
    let form = if selector & 1 == 0 {
        ExtensionForm::OneByte
    } else {
        ExtensionForm::TwoByte
    };
    let elements: Vec<ExtensionElement<'_>> = ExtensionElements::new(form, block).collect();
    let mut out = vec![0u8; 3 * block.len() + 4];
    let written = ExtensionWriter::write_all(&mut out, &elements).expect("read elements fit");
    assert_eq!(written.data.len() % 4, 0);
    let form = ExtensionForm::from_profile(written.profile).expect("writer uses RFC 8285 profiles");
    let mut again = ExtensionElements::new(form, written.data);
    assert!(again.by_ref().eq(elements.iter().copied()));
    assert!(!again.truncated());
});
