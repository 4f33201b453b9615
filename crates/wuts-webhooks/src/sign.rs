//! HMAC-SHA256 signatures as `sha256=<hex>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn signature(secret: &str, message: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(message.as_bytes());
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Constant-time check of a `sha256=<hex>` signature.
pub fn verify(secret: &str, message: &str, presented: &str) -> bool {
    let Some(hex) = presented.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(bytes) = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(())
        })
        .collect::<Result<Vec<u8>, ()>>()
    else {
        return false;
    };
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(message.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}
