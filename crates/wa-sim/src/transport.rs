//! Bytes on the socket: the connection header, 3-byte length frames, and once the handshake is
//! done, Noise-encrypted binary nodes.

use bytes::BytesMut;
use wacore_binary::Node;
use wacore_noise::framing::{encode_frame, FrameDecoder};
use wacore_noise::NoiseCipher;

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("bad connection header")]
    Header,
    #[error("frame: {0}")]
    Frame(String),
    #[error("decrypt failed")]
    Decrypt,
    #[error("node: {0}")]
    Node(String),
}

/// Splits the client's byte stream into frames, after stripping its one-time header
/// (an optional `ED` edge-routing pre-intro, then `WA` + version).
pub struct Framer {
    header_pending: Option<Vec<u8>>,
    decoder: FrameDecoder,
}

impl Framer {
    pub fn new() -> Self {
        Self {
            header_pending: Some(Vec::new()),
            decoder: FrameDecoder::new(),
        }
    }

    /// Bytes received but not yet part of a whole frame.
    pub fn buffered(&self) -> usize {
        self.header_pending.as_ref().map_or(0, Vec::len) + self.decoder.buffered_len()
    }

    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<BytesMut>, TransportError> {
        if let Some(mut pre) = self.header_pending.take() {
            pre.extend_from_slice(data);
            match strip_header(&pre)? {
                Some(rest) => self.decoder.feed(&pre[rest..]),
                None => {
                    self.header_pending = Some(pre);
                    return Ok(Vec::new());
                }
            }
        } else {
            self.decoder.feed(data);
        }
        let mut frames = Vec::new();
        while let Some(f) = self.decoder.decode_frame() {
            frames.push(f);
        }
        Ok(frames)
    }
}

/// Where the frames start after the header, or None when more bytes are needed.
fn strip_header(buf: &[u8]) -> Result<Option<usize>, TransportError> {
    let mut at = 0;
    if buf.len() >= 2 && &buf[..2] == b"ED" {
        if buf.len() < 7 {
            return Ok(None);
        }
        let len = ((buf[4] as usize) << 16) | ((buf[5] as usize) << 8) | buf[6] as usize;
        at = 7 + len;
    }
    if buf.len() < at + 4 {
        return Ok(None);
    }
    if &buf[at..at + 2] != b"WA" {
        return Err(TransportError::Header);
    }
    Ok(Some(at + 4))
}

/// A length-prefixed frame of handshake bytes.
pub fn frame(payload: &[u8]) -> Result<Vec<u8>, TransportError> {
    encode_frame(payload, None).map_err(|e| TransportError::Frame(e.to_string()))
}

/// The encrypted half of a connection.
pub struct Secure {
    read: NoiseCipher,
    write: NoiseCipher,
    read_counter: u32,
    write_counter: u32,
}

impl Secure {
    pub fn new(read: NoiseCipher, write: NoiseCipher) -> Self {
        Self {
            read,
            write,
            read_counter: 0,
            write_counter: 0,
        }
    }

    /// Decrypts one frame into a node.
    pub fn open(&mut self, mut frame: BytesMut) -> Result<Node, TransportError> {
        self.read
            .decrypt_in_place_with_counter(self.read_counter, &mut frame)
            .map_err(|_| TransportError::Decrypt)?;
        self.read_counter = self.read_counter.wrapping_add(1);
        let data =
            wacore_binary::util::unpack(&frame).map_err(|e| TransportError::Node(e.to_string()))?;
        let node = wacore_binary::marshal::unmarshal_ref(&data)
            .map_err(|e| TransportError::Node(e.to_string()))?;
        Ok(node.to_owned())
    }

    /// Encrypts a node into one frame.
    pub fn seal(&mut self, node: &Node) -> Result<Vec<u8>, TransportError> {
        let plain =
            wacore_binary::marshal(node).map_err(|e| TransportError::Node(e.to_string()))?;
        let cipher = self
            .write
            .encrypt_with_counter(self.write_counter, &plain)
            .map_err(|e| TransportError::Frame(e.to_string()))?;
        self.write_counter = self.write_counter.wrapping_add(1);
        frame(&cipher)
    }
}
