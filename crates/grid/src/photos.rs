//! Photos of a reported problem. Whatever a phone sends is decoded, turned
//! upright by its EXIF orientation, scaled to a size that shows the problem
//! and re-encoded as JPEG with a thumbnail beside it. Re-encoding writes
//! pixels only, so EXIF (the phone's GPS position, its make, the time) and
//! every other piece of metadata are gone from what is stored and shown.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The most photos one report carries.
pub const MAX_PHOTOS: usize = 4;
/// The largest photo taken, as sent (a phone's full-size JPEG is 3–8 MB).
pub const MAX_PHOTO_BYTES: usize = 12 * 1024 * 1024;
/// The longest side of a stored photo: enough to see a cracked cover or a
/// parked car's plate, a fraction of a phone's 4,000 pixels.
const STORED_SIDE: u32 = 1600;
/// The longest side of a thumbnail (lists, the map's pop-ups).
const THUMB_SIDE: u32 = 320;
/// Most pixels a sent photo may have (a 108-megapixel phone camera), and
/// most memory its decoding may take: a small file cannot claim more.
const MAX_PIXELS: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;
const QUALITY: u8 = 82;

/// A photo ready to store: the upright JPEG and its thumbnail.
#[derive(Debug, Clone)]
pub struct Photo {
    pub jpeg: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Why a photo was refused.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    #[error("the photo is empty")]
    Empty,
    #[error("the photo is larger than {MAX_PHOTO_BYTES} bytes")]
    TooLarge,
    #[error("at most {MAX_PHOTOS} photos are taken with one report")]
    TooMany,
    #[error("only JPEG and PNG photos are taken")]
    NotAnImage,
    #[error("the photo cannot be read")]
    Unreadable,
}

/// The image format the bytes show (by their content, never their name).
fn format_of(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else {
        None
    }
}

/// Decodes, turns upright, scales and re-encodes a photo. CPU work: run it
/// off the async executor.
pub fn prepare(bytes: &[u8]) -> Result<Photo, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let format = format_of(bytes).ok_or(PhotoError::NotAnImage)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PIXELS);
    limits.max_image_height = Some(MAX_PIXELS);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| PhotoError::Unreadable)?;
    let orientation = decoder.orientation().map_err(|_| PhotoError::Unreadable)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| PhotoError::Unreadable)?;
    picture.apply_orientation(orientation);
    let stored = if picture.width().max(picture.height()) > STORED_SIDE {
        picture.resize(
            STORED_SIDE,
            STORED_SIDE,
            image::imageops::FilterType::Triangle,
        )
    } else {
        picture
    };
    let thumb = stored.thumbnail(THUMB_SIDE, THUMB_SIDE);
    Ok(Photo {
        width: stored.width(),
        height: stored.height(),
        jpeg: encode(&stored),
        thumb: encode(&thumb),
    })
}

fn encode(picture: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(&picture.to_rgb8())
        .expect("encoding RGB pixels into memory does not fail");
    out
}

/// Sample pictures for tests: a JPEG with an EXIF orientation and position.
#[cfg(any(test, feature = "samples"))]
pub mod samples {
    use image::codecs::jpeg::JpegEncoder;
    use image::{ExtendedColorType, ImageEncoder};

    /// A little-endian EXIF block with the orientation tag and a GPS
    /// pointer, as a phone writes them.
    fn exif(orientation: u8) -> Vec<u8> {
        let mut e = b"II\x2a\0\x08\0\0\0\x02\0".to_vec();
        // Orientation (0x0112), SHORT, 1 value.
        e.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0]);
        // GPSInfo (0x8825), LONG, 1 value: a marker a leak would show.
        e.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 0x47, 0x50, 0x53, 0x21]);
        e.extend_from_slice(&[0, 0, 0, 0]);
        e
    }

    /// A `width` x `height` JPEG, its left half dark and right half light,
    /// carrying EXIF `orientation` (1 upright, 6 turned 90° clockwise).
    pub fn jpeg(width: u32, height: u32, orientation: u8) -> Vec<u8> {
        let mut pixels = Vec::with_capacity((width * height * 3) as usize);
        for _ in 0..height {
            for x in 0..width {
                let v = if x < width / 2 { 20 } else { 235 };
                pixels.extend_from_slice(&[v, v, v]);
            }
        }
        let mut out = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut out, 90);
        encoder
            .set_exif_metadata(exif(orientation))
            .expect("JPEG takes EXIF");
        encoder
            .write_image(&pixels, width, height, ExtendedColorType::Rgb8)
            .expect("encoding into memory");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luma(jpeg: &[u8], x: u32, y: u32) -> u8 {
        let p = image::load_from_memory(jpeg).unwrap().to_luma8();
        p.get_pixel(x, y)[0]
    }

    #[test]
    fn a_turned_photo_is_stored_upright_without_its_exif() {
        // Stored 40 wide and 20 high, dark on the left; orientation 6 says
        // "turn 90° clockwise to view": 20 wide, 40 high, dark on top.
        let sent = samples::jpeg(40, 20, 6);
        assert!(sent.windows(4).any(|w| w == b"GPS!"));
        let photo = prepare(&sent).unwrap();
        assert_eq!((photo.width, photo.height), (20, 40));
        assert!(luma(&photo.jpeg, 10, 5) < 80, "top is dark");
        assert!(luma(&photo.jpeg, 10, 35) > 180, "bottom is light");
        for stored in [&photo.jpeg, &photo.thumb] {
            assert!(!stored.windows(4).any(|w| w == b"Exif"));
            assert!(!stored.windows(4).any(|w| w == b"GPS!"));
        }
    }

    #[test]
    fn a_large_photo_is_scaled_and_thumbnailed() {
        let photo = prepare(&samples::jpeg(2400, 1200, 1)).unwrap();
        assert_eq!((photo.width, photo.height), (1600, 800));
        let thumb = image::load_from_memory(&photo.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 160));
    }

    #[test]
    fn what_is_not_a_photo_is_refused() {
        assert_eq!(prepare(b"").unwrap_err(), PhotoError::Empty);
        assert_eq!(
            prepare(b"%PDF-1.7 ...").unwrap_err(),
            PhotoError::NotAnImage
        );
        assert_eq!(prepare(b"GIF89a....").unwrap_err(), PhotoError::NotAnImage);
        let mut cut = samples::jpeg(64, 64, 1);
        cut.truncate(40);
        assert_eq!(prepare(&cut).unwrap_err(), PhotoError::Unreadable);
        let big = vec![0xFF; MAX_PHOTO_BYTES + 1];
        assert_eq!(prepare(&big).unwrap_err(), PhotoError::TooLarge);
    }
}
