//! The responder side of WhatsApp's Noise handshake: XX for first connections, IK when the
//! client has cached our static key. The certificate chain is a test chain (zero signatures), so
//! clients must be built with whatsapp-rust's `danger-skip-cert-chain-verify`.

use buffa::Message;
use wacore::libsignal::protocol::KeyPair;
use wacore_binary::consts::{NOISE_PATTERN_IK, NOISE_PATTERN_XX, WA_CONN_HEADER};
use wacore_noise::{NoiseCipher, NoiseHandshake};
use waproto::whatsapp as wa;
use waproto::whatsapp::HandshakeMessage;

#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("bad handshake message: {0}")]
    Malformed(String),
    #[error("noise: {0}")]
    Noise(String),
}

fn noise_err(e: impl std::fmt::Display) -> HandshakeError {
    HandshakeError::Noise(e.to_string())
}

/// The server's long-term Noise identity.
pub struct ServerIdentity {
    keys: KeyPair,
    cert_chain: Vec<u8>,
}

impl ServerIdentity {
    pub fn generate() -> Self {
        let keys = KeyPair::generate(&mut rand::rng());
        let public: [u8; 32] = keys
            .public_key
            .public_key_bytes()
            .try_into()
            .expect("32-byte key");
        let cert_chain = wacore_noise::test_util::build_cert_chain_bytes(&public);
        Self { keys, cert_chain }
    }

    fn public(&self) -> &[u8] {
        self.keys.public_key.public_key_bytes()
    }

    fn private(&self) -> Vec<u8> {
        self.keys.private_key.serialize().to_vec()
    }
}

/// The ciphers of an established connection, from the server's side.
pub struct Established {
    pub read: NoiseCipher,
    pub write: NoiseCipher,
    /// The client's static Noise key: how a registered device is recognised.
    pub client_static: [u8; 32],
    /// The decrypted `ClientPayload`.
    pub payload: wa::ClientPayload,
}

/// What the server does with the client's first message.
pub enum Step {
    /// XX: send `reply`, then feed the client's finish to `finish`.
    AwaitFinish {
        reply: Vec<u8>,
        pending: Box<PendingXx>,
    },
    /// IK accepted: send `reply`; the connection is established.
    Done {
        reply: Vec<u8>,
        established: Box<Established>,
    },
}

pub struct PendingXx {
    noise: NoiseHandshake,
    ephemeral: KeyPair,
}

fn key32(bytes: &[u8], what: &str) -> Result<[u8; 32], HandshakeError> {
    bytes
        .try_into()
        .map_err(|_| HandshakeError::Malformed(format!("{what} is not 32 bytes")))
}

fn server_hello(ephemeral: &[u8], stat: Option<Vec<u8>>, payload: Vec<u8>) -> Vec<u8> {
    HandshakeMessage {
        server_hello: buffa::MessageField::some(wa::handshake_message::ServerHello {
            ephemeral: Some(ephemeral.to_vec()),
            r#static: stat,
            payload: Some(payload),
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

fn decode_payload(bytes: &[u8]) -> Result<wa::ClientPayload, HandshakeError> {
    wa::ClientPayload::decode_from_slice(bytes)
        .map_err(|e| HandshakeError::Malformed(format!("client payload: {e}")))
}

/// The server's ciphers from a finished handshake: the initiator's write key is our read key.
fn split(noise: NoiseHandshake) -> Result<(NoiseCipher, NoiseCipher), HandshakeError> {
    let (initiator_write, initiator_read) = noise.finish().map_err(noise_err)?;
    Ok((initiator_write, initiator_read))
}

impl ServerIdentity {
    /// Answers a client hello.
    pub fn respond(&self, client_hello: &[u8]) -> Result<Step, HandshakeError> {
        let msg = HandshakeMessage::decode_from_slice(client_hello)
            .map_err(|e| HandshakeError::Malformed(e.to_string()))?;
        let hello = msg
            .client_hello
            .into_option()
            .ok_or_else(|| HandshakeError::Malformed("no client hello".into()))?;
        let client_eph = key32(
            hello.ephemeral.as_deref().unwrap_or_default(),
            "client ephemeral",
        )?;
        match (hello.r#static, hello.payload) {
            (Some(enc_static), Some(enc_payload)) => {
                self.respond_ik(client_eph, &enc_static, &enc_payload)
            }
            _ => self.respond_xx(client_eph),
        }
    }

    fn respond_xx(&self, client_eph: [u8; 32]) -> Result<Step, HandshakeError> {
        let mut noise =
            NoiseHandshake::new(NOISE_PATTERN_XX, &WA_CONN_HEADER).map_err(noise_err)?;
        noise.authenticate(&client_eph);
        let ephemeral = KeyPair::generate(&mut rand::rng());
        let eph_pub = ephemeral.public_key.public_key_bytes().to_vec();
        noise.authenticate(&eph_pub);
        noise
            .mix_shared_secret(ephemeral.private_key.serialize(), &client_eph)
            .map_err(noise_err)?;
        let enc_static = noise.encrypt(self.public()).map_err(noise_err)?;
        noise
            .mix_shared_secret(&self.private(), &client_eph)
            .map_err(noise_err)?;
        let enc_cert = noise.encrypt(&self.cert_chain).map_err(noise_err)?;
        Ok(Step::AwaitFinish {
            reply: server_hello(&eph_pub, Some(enc_static), enc_cert),
            pending: Box::new(PendingXx { noise, ephemeral }),
        })
    }

    fn respond_ik(
        &self,
        client_eph: [u8; 32],
        enc_static: &[u8],
        enc_payload: &[u8],
    ) -> Result<Step, HandshakeError> {
        let mut noise =
            NoiseHandshake::new(NOISE_PATTERN_IK, &WA_CONN_HEADER).map_err(noise_err)?;
        noise.authenticate(self.public());
        noise.authenticate(&client_eph);
        noise
            .mix_shared_secret(&self.private(), &client_eph)
            .map_err(noise_err)?;
        let client_static = key32(
            &noise.decrypt(enc_static).map_err(noise_err)?,
            "client static",
        )?;
        noise
            .mix_shared_secret(&self.private(), &client_static)
            .map_err(noise_err)?;
        let payload = decode_payload(&noise.decrypt(enc_payload).map_err(noise_err)?)?;
        let ephemeral = KeyPair::generate(&mut rand::rng());
        let eph_pub = ephemeral.public_key.public_key_bytes().to_vec();
        noise.authenticate(&eph_pub);
        noise
            .mix_shared_secret(ephemeral.private_key.serialize(), &client_eph)
            .map_err(noise_err)?;
        noise
            .mix_shared_secret(ephemeral.private_key.serialize(), &client_static)
            .map_err(noise_err)?;
        let enc_cert = noise.encrypt(&self.cert_chain).map_err(noise_err)?;
        let (read, write) = split(noise)?;
        Ok(Step::Done {
            reply: server_hello(&eph_pub, None, enc_cert),
            established: Box::new(Established {
                read,
                write,
                client_static,
                payload,
            }),
        })
    }
}

impl PendingXx {
    /// Reads the client finish of an XX handshake.
    pub fn finish(mut self, client_finish: &[u8]) -> Result<Established, HandshakeError> {
        let msg = HandshakeMessage::decode_from_slice(client_finish)
            .map_err(|e| HandshakeError::Malformed(e.to_string()))?;
        let fin = msg
            .client_finish
            .into_option()
            .ok_or_else(|| HandshakeError::Malformed("no client finish".into()))?;
        let enc_static = fin
            .r#static
            .ok_or_else(|| HandshakeError::Malformed("finish without static".into()))?;
        let client_static = key32(
            &self.noise.decrypt(&enc_static).map_err(noise_err)?,
            "client static",
        )?;
        self.noise
            .mix_shared_secret(self.ephemeral.private_key.serialize(), &client_static)
            .map_err(noise_err)?;
        let enc_payload = fin
            .payload
            .ok_or_else(|| HandshakeError::Malformed("finish without payload".into()))?;
        let payload = decode_payload(&self.noise.decrypt(&enc_payload).map_err(noise_err)?)?;
        let (read, write) = split(self.noise)?;
        Ok(Established {
            read,
            write,
            client_static,
            payload,
        })
    }
}
