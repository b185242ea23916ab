//! Hashes written as text: ids, ETags, fingerprints.

/// Lower-case hex of `bytes`. By table, not `write!("{:02x}")`: every item's uid,
/// keys and content hash are written so, and the formatter was 1% of a poll pass.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Hex of the first `n` bytes of the SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8], n: usize) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    hex(&digest[..n.min(digest.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_per_byte() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        let all: Vec<u8> = (0..=255).collect();
        let formatted: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), formatted);
        assert_eq!(sha256_hex(b"", 4), "e3b0c442");
    }
}
