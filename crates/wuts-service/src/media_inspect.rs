//! What the bytes of a media file are: the MIME type sniffed from their content, image size and
//! thumbnail, Opus voice-note duration and waveform, MP4 duration, animated WebP.

/// The MIME type the content shows, when recognised.
pub fn sniff(head: &[u8]) -> Option<String> {
    if is_ogg_opus(head) {
        return Some("audio/ogg; codecs=opus".into());
    }
    infer::get(head).map(|t| t.mime_type().to_string())
}

fn is_ogg_opus(head: &[u8]) -> bool {
    head.starts_with(b"OggS") && head.windows(8).take(64).any(|w| w == b"OpusHead")
}

/// Whether a MIME type names Ogg Opus audio (as [`sniff`] names it; Ogg Vorbis is not).
pub fn is_opus(mime: &str) -> bool {
    let m = mime.to_ascii_lowercase();
    m.starts_with("audio/opus") || (m.starts_with("audio/ogg") && m.contains("opus"))
}

/// Width, height and a small JPEG thumbnail of an image (None when it does not decode).
pub fn image_facts(bytes: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    let img = image::load_from_memory(bytes).ok()?;
    let (w, h) = (img.width(), img.height());
    let thumb = img.thumbnail(72, 72).to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(thumb)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .ok()?;
    Some((w, h, out.into_inner()))
}

/// Whether a WebP file is animated (its VP8X header has the animation flag).
pub fn webp_animated(bytes: &[u8]) -> bool {
    bytes.len() > 21
        && &bytes[0..4] == b"RIFF"
        && &bytes[8..16] == b"WEBPVP8X"
        && bytes[20] & 0x02 != 0
}

/// Duration (seconds, rounded up) and a 64-point waveform of an Ogg Opus file. The waveform
/// follows the size of the Opus packets, which tracks loudness in Opus's variable bit rate
/// (the audio is not decoded).
pub fn opus_facts(bytes: &[u8]) -> Option<(u32, Vec<u8>)> {
    let mut pos = 0usize;
    let mut last_granule = 0u64;
    let mut packets: Vec<usize> = Vec::new();
    let mut current = 0usize;
    let mut pages = 0usize;
    while pos + 27 <= bytes.len() && &bytes[pos..pos + 4] == b"OggS" {
        let granule = u64::from_le_bytes(bytes[pos + 6..pos + 14].try_into().ok()?);
        let segments = bytes[pos + 26] as usize;
        let table = bytes.get(pos + 27..pos + 27 + segments)?;
        let body: usize = table.iter().map(|s| *s as usize).sum();
        // The first two pages carry the Opus headers, not audio.
        if pages >= 2 {
            for s in table {
                current += *s as usize;
                if *s < 255 {
                    packets.push(current);
                    current = 0;
                }
            }
        }
        if granule != u64::MAX {
            last_granule = granule;
        }
        pos += 27 + segments + body;
        pages += 1;
    }
    if pages < 2 {
        return None;
    }
    let seconds = last_granule.div_ceil(48_000) as u32;
    let waveform = if packets.is_empty() {
        vec![0; 64]
    } else {
        let max = *packets.iter().max().unwrap_or(&1) as f64;
        (0..64)
            .map(|i| {
                let from = i * packets.len() / 64;
                let to = ((i + 1) * packets.len() / 64)
                    .max(from + 1)
                    .min(packets.len());
                let slice = &packets[from.min(packets.len() - 1)..to];
                let avg = slice.iter().sum::<usize>() as f64 / slice.len() as f64;
                ((avg / max) * 100.0).round() as u8
            })
            .collect()
    };
    Some((seconds, waveform))
}

/// The duration of an MP4/QuickTime file from its `mvhd` box (seconds, rounded up).
pub fn mp4_seconds(bytes: &[u8]) -> Option<u32> {
    let at = bytes.windows(4).position(|w| w == b"mvhd")?;
    let b = bytes.get(at + 4..)?;
    let version = *b.first()?;
    let (scale, duration) = if version == 1 {
        let scale = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?) as u64;
        let d = u64::from_be_bytes(b.get(24..32)?.try_into().ok()?);
        (scale, d)
    } else {
        let scale = u32::from_be_bytes(b.get(12..16)?.try_into().ok()?) as u64;
        let d = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?) as u64;
        (scale, d)
    };
    (scale > 0).then(|| duration.div_ceil(scale) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(granule: u64, segments: &[u8]) -> Vec<u8> {
        let mut p = b"OggS".to_vec();
        p.extend([0, 0]);
        p.extend(granule.to_le_bytes());
        p.extend([0; 12]);
        p.push(segments.len() as u8);
        p.extend(segments);
        for s in segments {
            p.extend(std::iter::repeat_n(7u8, *s as usize));
        }
        p
    }

    #[test]
    fn opus_duration_and_waveform() {
        let mut f = page(0, &[19]);
        f[28..36].copy_from_slice(b"OpusHead");
        f.extend(page(0, &[20]));
        f.extend(page(48_000, &[10, 100, 50]));
        f.extend(page(96_000 + 1, &[30]));
        assert!(is_ogg_opus(&f));
        let (secs, wave) = opus_facts(&f).unwrap();
        assert_eq!(secs, 3);
        assert_eq!(wave.len(), 64);
        assert_eq!(*wave.iter().max().unwrap(), 100);
    }

    #[test]
    fn mp4_duration() {
        let mut f = vec![0u8; 8];
        f.extend(b"mvhd");
        f.extend([0, 0, 0, 0]);
        f.extend([0; 8]);
        f.extend(1000u32.to_be_bytes());
        f.extend(4500u32.to_be_bytes());
        assert_eq!(mp4_seconds(&f), Some(5));
    }
}
