//! NIST ACVP SRTP KDF vectors (via OpenSSL's test data): every row, including non-zero
//! key-derivation rates and the SRTCP labels, plus the file's negative cases.

use super::super::kdf::{derive, KeyDerivationRate, Label};
use super::hex;

const FILE: &str = include_str!("../vectors/srtp_kdf_kdr_vectors_openssl_acvp.txt");

#[test]
fn every_row_derives_the_listed_output() {
    let mut rows = 0;
    for line in FILE.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() != 6 || cols[0].len() != 32 || !cols[0].bytes().all(|b| b.is_ascii_hexdigit())
        {
            continue;
        }
        let master_key = hex(cols[0]);
        let master_salt = hex(cols[1]);
        let kdr = KeyDerivationRate::from_rate(cols[2].parse().unwrap()).unwrap();
        let index = u64::from_str_radix(cols[3], 16).unwrap();
        let label = Label::from_number(cols[4].parse().unwrap()).unwrap();
        let expected = hex(cols[5]);
        let mut out = vec![0u8; expected.len()];
        derive(
            &master_key,
            &master_salt,
            kdr,
            label,
            kdr.r(index),
            &mut out,
        );
        assert_eq!(out, expected, "row: {line}");
        rows += 1;
    }
    assert_eq!(rows, 21);
}

#[test]
fn negative_cases_are_refused() {
    assert!(FILE.contains("kdr=5 (not a power of two) -> error"));
    assert!(KeyDerivationRate::from_rate(5).is_err());
    assert!(FILE.contains("kdr=0x10000000 (> 2^24) -> error"));
    assert!(KeyDerivationRate::from_rate(0x1000_0000).is_err());
    assert!(FILE.contains("label 8 -> error"));
    assert!(Label::from_number(8).is_none());
}
