//! Second factor: time-based one-time passwords (RFC 6238) and recovery codes.
//!
//! The parameters are the ones every authenticator app supports: HMAC-SHA-1,
//! six digits, a 30-second step, and a 160-bit secret (the length RFC 4226
//! recommends). Everything here is pure: storing the secret, the last used
//! step and the recovery code digests is the caller's job.

use data_encoding::BASE32_NOPAD;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use std::fmt;

/// Length of a time step, in seconds.
const STEP: u64 = 30;
/// Digits in a code.
const DIGITS: u32 = 6;
/// Secret length in bytes.
const SECRET_LEN: usize = 20;

/// A TOTP shared secret: 20 random bytes. Keep it as confidential as a
/// password; its `Debug` output does not show it.
#[derive(Clone)]
pub struct TotpSecret([u8; SECRET_LEN]);

impl TotpSecret {
    /// A new secret from the operating system's CSPRNG-seeded thread RNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; SECRET_LEN];
        rand::thread_rng().fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// Parses RFC 4648 base32 in either case; spaces (and trailing `=`
    /// padding) are ignored. Returns `None` unless it decodes to exactly
    /// 20 bytes.
    pub fn from_base32(s: &str) -> Option<Self> {
        let normalised: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .trim_end_matches('=')
            .to_ascii_uppercase();
        let bytes = BASE32_NOPAD.decode(normalised.as_bytes()).ok()?;
        let bytes: [u8; SECRET_LEN] = bytes.try_into().ok()?;
        Some(TotpSecret(bytes))
    }

    /// RFC 4648 base32, upper case, no padding (32 characters).
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// The enrolment URI in the "Key Uri Format" authenticator apps read:
    /// `otpauth://totp/{issuer}:{account}?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`,
    /// with issuer and account percent-encoded as UTF-8.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let issuer = percent_encode(issuer);
        format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
             &algorithm=SHA1&digits={DIGITS}&period={STEP}",
            account = percent_encode(account),
            secret = self.to_base32(),
        )
    }

    /// The code for the 30 s step containing unix time `unix_time`, as six
    /// zero-padded digits.
    pub fn code_at(&self, unix_time: u64) -> String {
        self.code_for_step(unix_time / STEP)
    }

    /// Checks `code` against the step containing `unix_time` and one step
    /// either side (clock drift). Surrounding whitespace and the space that
    /// apps show in the middle ("123 456") are ignored; anything that is not
    /// then exactly six ASCII digits is refused. Returns the matched step so
    /// the caller can store it and refuse a code for a step at or before it.
    pub fn verify(&self, code: &str, unix_time: u64) -> Option<u64> {
        let code: Vec<u8> = code.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if code.len() != DIGITS as usize || !code.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let code = String::from_utf8(code).expect("ASCII digits");
        let current = unix_time / STEP;
        let totp = self.totp(DIGITS);
        // Current step first, then the past, then the future. Every
        // candidate is checked (in constant time, by the library), so timing
        // does not reveal which matched.
        let mut matched = None;
        for step in [
            Some(current),
            current.checked_sub(1),
            current.checked_add(1),
        ]
        .into_iter()
        .flatten()
        {
            if totp.check(&code, step * STEP) && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }

    fn code_for_step(&self, step: u64) -> String {
        self.totp(DIGITS).generate(step * STEP)
    }

    /// The RFC 6238 generator (totp-rs) for this secret: HMAC-SHA-1,
    /// `digits` digits, 30-second steps, no skew of its own (we check the
    /// neighbouring steps ourselves, to know which one matched).
    fn totp(&self, digits: u32) -> totp_rs::TOTP {
        totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            digits as usize,
            0,
            STEP,
            self.0.to_vec(),
        )
        .expect("a 160-bit secret and 6 or 8 digits are valid TOTP parameters")
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// Percent-encodes everything outside RFC 3986's unreserved set, byte by byte
/// over UTF-8 (so a space becomes `%20`, never `+`).
fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// An SVG QR code of `data` (meant for the otpauth URI): dark modules `#000`
/// on a white background, with the standard four-module quiet zone. Uses
/// error correction level M, falling back to L for long data; returns an
/// empty string if `data` does not fit in a QR code even then (about 2,900
/// bytes, far beyond any enrolment URI).
pub fn qr_svg(data: &str) -> String {
    let code = QrCode::with_error_correction_level(data, EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(data, EcLevel::L));
    match code {
        Ok(code) => code
            .render::<svg::Color<'_>>()
            .dark_color(svg::Color("#000"))
            .light_color(svg::Color("#fff"))
            .quiet_zone(true)
            .min_dimensions(200, 200)
            .build(),
        Err(_) => String::new(),
    }
}

/// Recovery code alphabet: digits and lower-case letters without the
/// look-alikes 0/O/o, 1/l/I/i.
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
const RECOVERY_COUNT: usize = 10;
const RECOVERY_LEN: usize = 10;

/// Ten fresh recovery codes, each shown to the user as `xxxxx-xxxxx`, paired
/// with the digest to store ([`recovery_code_digest`] of the code).
pub fn recovery_codes() -> Vec<(String, String)> {
    let mut rng = rand::thread_rng();
    let mut codes: Vec<(String, String)> = Vec::with_capacity(RECOVERY_COUNT);
    while codes.len() < RECOVERY_COUNT {
        let mut code = String::with_capacity(RECOVERY_LEN + 1);
        for i in 0..RECOVERY_LEN {
            if i == RECOVERY_LEN / 2 {
                code.push('-');
            }
            let c = RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())];
            code.push(char::from(c));
        }
        let digest = recovery_code_digest(&code).expect("made from the alphabet");
        if codes.iter().all(|(_, d)| *d != digest) {
            codes.push((code, digest));
        }
    }
    codes
}

/// The SHA-256 digest (hex) of a recovery code as the user typed it:
/// whitespace and hyphens are dropped and letters lower-cased first. `None`
/// when what was typed cannot be a recovery code (the wrong length or
/// letters outside the alphabet), so nothing is hashed for it.
pub fn recovery_code_digest(input: &str) -> Option<String> {
    let normalised: String = input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let shaped = normalised.len() == RECOVERY_LEN
        && normalised.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
    shaped.then(|| hex::encode(Sha256::digest(normalised.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret(*b"12345678901234567890")
    }

    /// RFC 6238 Appendix B, SHA-1 column.
    const RFC_VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_vectors_eight_digits() {
        let secret = rfc_secret();
        for (t, expected) in RFC_VECTORS {
            let code = secret.totp(8).generate(t);
            assert_eq!(code, expected, "t = {t}");
        }
    }

    #[test]
    fn rfc6238_vectors_six_digits() {
        let secret = rfc_secret();
        for (t, expected) in RFC_VECTORS {
            assert_eq!(secret.code_at(t), expected[2..], "t = {t}");
            assert_eq!(secret.verify(&expected[2..], t), Some(t / STEP));
        }
    }

    #[test]
    fn base32_round_trip() {
        let secret = TotpSecret::generate();
        let encoded = secret.to_base32();
        assert_eq!(encoded.len(), 32);
        assert!(!encoded.contains('='));
        assert_eq!(TotpSecret::from_base32(&encoded).unwrap().0, secret.0);

        let spaced_lower = encoded
            .to_lowercase()
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(TotpSecret::from_base32(&spaced_lower).unwrap().0, secret.0);

        // "12345678901234567890" in base32, as the RFC key is usually shown.
        let rfc = TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(rfc.0, rfc_secret().0);
        assert_eq!(rfc_secret().to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn base32_rejects_bad_input() {
        assert!(TotpSecret::from_base32("").is_none());
        assert!(TotpSecret::from_base32("not base32!").is_none());
        assert!(TotpSecret::from_base32("GEZDGNBVGY3TQOJQ").is_none()); // 10 bytes
        assert!(TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1").is_none());
    }

    #[test]
    fn generated_secrets_differ() {
        assert_ne!(TotpSecret::generate().0, TotpSecret::generate().0);
    }

    #[test]
    fn verify_window() {
        let secret = TotpSecret::generate();
        let now = 1_700_000_015;
        let step = now / STEP;
        assert_eq!(secret.verify(&secret.code_at(now), now), Some(step));
        assert_eq!(
            secret.verify(&secret.code_at(now - STEP), now),
            Some(step - 1)
        );
        assert_eq!(
            secret.verify(&secret.code_at(now + STEP), now),
            Some(step + 1)
        );

        let far_past = secret.code_at(now - 2 * STEP);
        let far_future = secret.code_at(now + 2 * STEP);
        let near = [-1i64, 0, 1].map(|d| secret.code_at(now.wrapping_add_signed(d * STEP as i64)));
        if !near.contains(&far_past) {
            assert_eq!(secret.verify(&far_past, now), None);
        }
        if !near.contains(&far_future) {
            assert_eq!(secret.verify(&far_future, now), None);
        }
    }

    #[test]
    fn verify_refuses_two_steps_away_rfc() {
        // With the RFC key the neighbouring codes are known to differ.
        let secret = rfc_secret();
        let t = 1_111_111_111;
        let code = secret.code_at(t);
        assert_eq!(secret.verify(&code, t), Some(t / STEP));
        assert_eq!(secret.verify(&code, t + 2 * STEP), None);
        assert_eq!(secret.verify(&code, t - 2 * STEP), None);
    }

    #[test]
    fn verify_input_handling() {
        let secret = rfc_secret();
        let t = 1_234_567_890;
        assert_eq!(secret.verify("  005924 ", t), Some(t / STEP));
        assert_eq!(secret.verify("005 924", t), Some(t / STEP));
        for bad in [
            "",
            "      ",
            "5924",
            "05924",
            "0059240",
            "89005924",
            "00592a",
            "00592-4",
            "-05924",
            "+05924",
            "００５９２４",
        ] {
            assert_eq!(secret.verify(bad, t), None, "{bad:?}");
        }
    }

    #[test]
    fn verify_at_time_zero() {
        let secret = rfc_secret();
        assert_eq!(secret.verify(&secret.code_at(0), 0), Some(0));
        assert_eq!(secret.verify(&secret.code_at(STEP), 0), Some(1));
    }

    #[test]
    fn otpauth_uri_encodes_chinese() {
        let uri = rfc_secret().otpauth_uri("北京市电子政务平台", "张三@example.gov.cn");
        let issuer =
            "%E5%8C%97%E4%BA%AC%E5%B8%82%E7%94%B5%E5%AD%90%E6%94%BF%E5%8A%A1%E5%B9%B3%E5%8F%B0";
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/{issuer}:%E5%BC%A0%E4%B8%89%40example.gov.cn\
                 ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer={issuer}\
                 &algorithm=SHA1&digits=6&period=30"
            )
        );
        assert!(uri.is_ascii());
    }

    #[test]
    fn otpauth_uri_encodes_reserved_ascii() {
        let uri = rfc_secret().otpauth_uri("A&B Co", "a:b?c=d");
        assert!(uri.starts_with("otpauth://totp/A%26B%20Co:a%3Ab%3Fc%3Dd?secret="));
        assert!(uri.contains("&issuer=A%26B%20Co&"));
    }

    #[test]
    fn debug_hides_secret() {
        let secret = rfc_secret();
        let shown = format!("{secret:?}");
        assert_eq!(shown, "TotpSecret(..)");
        assert!(!shown.contains(&secret.to_base32()));
    }

    #[test]
    fn qr_svg_renders() {
        let uri = TotpSecret::generate().otpauth_uri("北京市电子政务平台", "zhangsan");
        let svg = qr_svg(&uri);
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
        assert!(svg.contains("<svg"));
        assert!(svg.contains(r##"fill="#000""##));
        assert!(svg.contains(r##"fill="#fff""##));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn qr_svg_too_long_is_empty() {
        assert_eq!(qr_svg(&"x".repeat(10_000)), "");
    }

    #[test]
    fn recovery_codes_shape_and_digests() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut shown: Vec<&str> = codes.iter().map(|(c, _)| c.as_str()).collect();
        shown.sort_unstable();
        shown.dedup();
        assert_eq!(shown.len(), 10);
        let mut digests: Vec<&str> = codes.iter().map(|(_, d)| d.as_str()).collect();
        digests.sort_unstable();
        digests.dedup();
        assert_eq!(digests.len(), 10);

        for (code, digest) in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(code.as_bytes()[5], b'-');
            assert!(code
                .bytes()
                .filter(|b| *b != b'-')
                .all(|b| RECOVERY_ALPHABET.contains(&b)));
            assert!(!code.contains(['0', 'O', 'o', '1', 'l', 'I', 'i']));
            assert_eq!(digest.len(), 64);

            assert_eq!(recovery_code_digest(code).as_ref(), Some(digest));
            assert_eq!(
                recovery_code_digest(&code.to_uppercase()).as_ref(),
                Some(digest)
            );
            assert_eq!(
                recovery_code_digest(&code.replace('-', "")).as_ref(),
                Some(digest)
            );
            let messy = format!("  {} - {} \n", &code[..5].to_uppercase(), &code[6..]);
            assert_eq!(recovery_code_digest(&messy).as_ref(), Some(digest));
        }
    }

    #[test]
    fn recovery_digest_is_sha256_of_normalised_form() {
        assert_eq!(
            recovery_code_digest("ABCDE-fghjk"),
            Some(hex::encode(Sha256::digest(b"abcdefghjk")))
        );
        assert_eq!(recovery_code_digest("123456"), None, "a TOTP code");
        assert_eq!(
            recovery_code_digest("abcde-fghj1"),
            None,
            "outside the alphabet"
        );
        assert_ne!(
            recovery_code_digest("abcde-fghjk"),
            recovery_code_digest("abcde-fghjm")
        );
    }
}
