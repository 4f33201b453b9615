//! WUTS "newsletters" (channels): management over MEX (whatsapp-rust's persisted queries,
//! read into our own type, mute included, which whatsapp-rust's `NewsletterMetadata` drops),
//! history with view counts and the view receipt (raw `xmlns="newsletter"` nodes, which 0.7
//! has no helper for), and posts: plaintext stanzas, media uploaded unencrypted to the
//! `/newsletter/newsletter-<kind>` route and named by its `media_id` handle, as WhatsApp Web and
//! whatsmeow do (0.7 always encrypts uploads).

use crate::live::LiveDevice;
use crate::media::{MediaKind, OutgoingMedia};
use crate::RuntimeError;
use serde_json::Value;
use whatsapp_rust::features::MexRequest;
use whatsapp_rust::wacore::iq::mex_operations as ops;
use whatsapp_rust::wacore::request::InfoQuery;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::{NodeContent, NodeContentRef};
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

/// A channel as WhatsApp describes it to the viewer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Channel {
    pub jid: String,
    /// `active`, `suspended`, `geosuspended`.
    pub state: String,
    pub name: String,
    pub description: String,
    pub invite: Option<String>,
    pub subscribers: u64,
    /// `VERIFIED` or `UNVERIFIED`.
    pub verification: String,
    pub picture: Option<String>,
    pub preview: Option<String>,
    /// Unix seconds.
    pub created_at: Option<u64>,
    /// `on` or `off`.
    pub mute: String,
    /// `owner`, `admin`, `subscriber`, `guest`.
    pub role: String,
}

/// A channel post of the history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelPost {
    pub server_id: u64,
    pub message_id: String,
    /// `text`, `media`, ...
    pub kind: String,
    /// Unix seconds.
    pub timestamp: u64,
    pub views: u64,
    /// (emoji, count).
    pub reactions: Vec<(String, u64)>,
    pub is_sender: bool,
    /// The text or caption.
    pub text: Option<String>,
}

fn text_of(v: &Value) -> String {
    v["text"].as_str().unwrap_or_default().to_string()
}

fn number(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Our channel from MEX's JSON (`None` when it is null).
fn channel(v: &Value) -> Option<Channel> {
    let jid = v["id"].as_str()?.to_string();
    let t = &v["thread_metadata"];
    Some(Channel {
        jid,
        state: v["state"]["type"]
            .as_str()
            .unwrap_or("active")
            .to_ascii_lowercase(),
        name: text_of(&t["name"]),
        description: text_of(&t["description"]),
        invite: t["invite"].as_str().map(str::to_string),
        subscribers: number(&t["subscribers_count"]).unwrap_or(0),
        verification: t["verification"]
            .as_str()
            .unwrap_or("UNVERIFIED")
            .to_ascii_uppercase(),
        picture: t["picture"]["direct_path"].as_str().map(str::to_string),
        preview: t["preview"]["direct_path"].as_str().map(str::to_string),
        created_at: number(&t["creation_time"]),
        mute: v["viewer_metadata"]["mute"]
            .as_str()
            .unwrap_or("off")
            .to_ascii_lowercase(),
        role: v["viewer_metadata"]["role"]
            .as_str()
            .unwrap_or("guest")
            .to_ascii_lowercase(),
    })
}

fn mex_failed(e: impl std::fmt::Display) -> RuntimeError {
    let text = e.to_string();
    // MEX errors carry their code: "MEX fatal error (query=…, code=404): …".
    let code = text
        .split("code=")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|c| c.parse().ok());
    match code {
        Some(code) => RuntimeError::Refused { code, text },
        None if text.contains("not connected") => RuntimeError::NotConnected,
        None => RuntimeError::WhatsApp(text),
    }
}

fn wa_err(e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::WhatsApp(e.to_string())
}

impl LiveDevice {
    async fn mex_data<V: whatsapp_rust::serde::Serialize>(
        &self,
        request: MexRequest<V>,
        mutation: bool,
    ) -> Result<Value, RuntimeError> {
        let mex = self.client.mex();
        let response = if mutation {
            mex.mutate(request).await
        } else {
            mex.query(request).await
        }
        .map_err(mex_failed)?;
        Ok(response.data.unwrap_or(Value::Null))
    }

    /// Creates a channel owned by the account; `picture` is a base64 JPEG.
    pub async fn create_channel(
        &self,
        name: &str,
        description: Option<&str>,
        picture: Option<String>,
    ) -> Result<Channel, RuntimeError> {
        let vars = ops::create_newsletter::Variables {
            input: Some(ops::create_newsletter::Input {
                name: Some(name.to_string()),
                description: description.map(str::to_string),
                picture,
            }),
        };
        let data = self
            .mex_data(
                MexRequest::new(
                    ops::create_newsletter::NAME,
                    ops::create_newsletter::DOC_ID,
                    vars,
                ),
                true,
            )
            .await?;
        channel(&data["xwa2_newsletter_create"])
            .ok_or_else(|| RuntimeError::WhatsApp("the channel was not created".into()))
    }

    /// A channel's metadata; `None` when WhatsApp knows no such channel.
    pub async fn channel(&self, jid: &str) -> Result<Option<Channel>, RuntimeError> {
        let vars = serde_json::json!({
            "input": {"key": jid, "type": "JID", "view_role": "GUEST"},
            "fetch_viewer_metadata": true,
            "fetch_full_image": true,
            "fetch_creation_time": true,
        });
        let data = self
            .mex_data(
                MexRequest::new(
                    ops::fetch_newsletter::NAME,
                    ops::fetch_newsletter::DOC_ID,
                    vars,
                ),
                false,
            )
            .await?;
        Ok(channel(&data["xwa2_newsletter"]))
    }

    /// The channels the account follows or owns.
    pub async fn channels(&self) -> Result<Vec<Channel>, RuntimeError> {
        let data = self
            .mex_data(
                MexRequest::new(
                    ops::fetch_all_newsletters_metadata::NAME,
                    ops::fetch_all_newsletters_metadata::DOC_ID,
                    serde_json::json!({}),
                ),
                false,
            )
            .await?;
        Ok(data["xwa2_newsletter_subscribed"]
            .as_array()
            .map(|l| l.iter().filter_map(channel).collect())
            .unwrap_or_default())
    }

    /// Follows (`true`) or unfollows a channel; answers its metadata after a follow.
    pub async fn follow_channel(
        &self,
        jid: &str,
        follow: bool,
    ) -> Result<Option<Channel>, RuntimeError> {
        let vars = serde_json::json!({ "newsletter_id": jid });
        let (request, key) = if follow {
            (
                MexRequest::new(
                    ops::join_newsletter::NAME,
                    ops::join_newsletter::DOC_ID,
                    vars,
                ),
                "xwa2_newsletter_join_v2",
            )
        } else {
            (
                MexRequest::new(
                    ops::leave_newsletter::NAME,
                    ops::leave_newsletter::DOC_ID,
                    vars,
                ),
                "xwa2_newsletter_leave_v2",
            )
        };
        let data = self.mex_data(request, true).await?;
        if data[key].is_null() {
            return Err(RuntimeError::Refused {
                code: 404,
                text: format!("no channel {jid}"),
            });
        }
        Ok(channel(&data[key]))
    }

    /// Posts of a channel, newest last; `before` is a server id (older posts only).
    pub async fn channel_posts(
        &self,
        jid: &str,
        count: u32,
        before: Option<u64>,
    ) -> Result<Vec<ChannelPost>, RuntimeError> {
        let to: Jid = jid.parse().map_err(wa_err)?;
        let mut messages = NodeBuilder::new("messages").attr("count", count.to_string());
        if let Some(b) = before {
            messages = messages.attr("before", b.to_string());
        }
        let iq = InfoQuery::get(
            "newsletter",
            to,
            Some(NodeContent::Nodes(vec![messages.build()])),
        );
        let answer = self.client.send_iq(iq).await.map_err(|e| match e {
            whatsapp_rust::request::IqError::ServerError { code, text, .. } => {
                RuntimeError::Refused { code, text }
            }
            whatsapp_rust::request::IqError::NotConnected => RuntimeError::NotConnected,
            other => wa_err(other),
        })?;
        let root = answer.get();
        let Some(list) = root.get_optional_child("messages") else {
            return Ok(Vec::new());
        };
        let attr = |n: &whatsapp_rust::wacore_binary::NodeRef<'_>, k: &str| {
            n.get_attr(k).map(|v| v.as_str().into_owned())
        };
        let mut posts = Vec::new();
        for m in list.children().unwrap_or_default().iter() {
            if m.tag.as_ref() != "message" {
                continue;
            }
            let Some(server_id) = attr(m, "server_id").and_then(|s| s.parse().ok()) else {
                continue;
            };
            let text = m
                .get_optional_child("plaintext")
                .and_then(|p| match p.content.as_ref() {
                    Some(NodeContentRef::Bytes(b)) => {
                        whatsapp_rust::waproto::codec::message_decode(b.as_ref()).ok()
                    }
                    _ => None,
                })
                .and_then(|msg| crate::media::text_or_caption(&msg));
            let reactions = m
                .get_optional_child("reactions")
                .and_then(|r| {
                    r.children().map(|c| {
                        c.iter()
                            .filter(|x| x.tag.as_ref() == "reaction")
                            .filter_map(|x| {
                                Some((
                                    attr(x, "code")?,
                                    attr(x, "count").and_then(|c| c.parse().ok()).unwrap_or(0),
                                ))
                            })
                            .collect()
                    })
                })
                .unwrap_or_default();
            posts.push(ChannelPost {
                server_id,
                message_id: attr(m, "id").unwrap_or_default(),
                kind: attr(m, "type").unwrap_or_else(|| "text".into()),
                timestamp: attr(m, "t").and_then(|t| t.parse().ok()).unwrap_or(0),
                views: m
                    .get_optional_child("views_count")
                    .and_then(|v| attr(v, "count"))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0),
                reactions,
                is_sender: attr(m, "is_sender").as_deref() == Some("true"),
                text,
            });
        }
        posts.sort_by_key(|p| p.server_id);
        Ok(posts)
    }

    /// Marks posts (by server id) of a channel as viewed.
    pub async fn view_channel_posts(
        &self,
        jid: &str,
        server_ids: &[u64],
    ) -> Result<(), RuntimeError> {
        let items: Vec<_> = server_ids
            .iter()
            .map(|s| {
                NodeBuilder::new("item")
                    .attr("server_id", s.to_string())
                    .build()
            })
            .collect();
        let node = NodeBuilder::new("receipt")
            .attr("to", jid)
            .attr("type", "view")
            .attr("id", self.new_message_id())
            .children([NodeBuilder::new("list").children(items).build()])
            .build();
        self.client.send_node(node).await.map_err(wa_err)
    }

    /// Posts `message` to a channel the account owns (`media`: its kind and upload handle);
    /// answers the message id.
    async fn post_to_channel(
        &self,
        jid: &str,
        message: &wa::Message,
        media: Option<(&str, &str)>,
    ) -> Result<String, RuntimeError> {
        let id = self.new_message_id();
        let mut plain = NodeBuilder::new("plaintext");
        let mut stanza = NodeBuilder::new("message")
            .attr("to", jid)
            .attr("id", id.clone());
        match media {
            Some((kind, handle)) => {
                plain = plain.attr("mediatype", kind);
                stanza = stanza.attr("type", "media").attr("media_id", handle);
            }
            None => stanza = stanza.attr("type", "text"),
        }
        let bytes = whatsapp_rust::waproto::codec::message_to_vec(message);
        let node = stanza.children([plain.bytes(bytes).build()]).build();
        self.client.send_node(node).await.map_err(wa_err)?;
        Ok(id)
    }

    /// Posts a text to a channel the account owns.
    pub async fn post_channel_text(&self, jid: &str, text: &str) -> Result<String, RuntimeError> {
        let message = wa::Message {
            conversation: Some(text.to_string()),
            ..Default::default()
        };
        self.post_to_channel(jid, &message, None).await
    }

    /// Uploads media unencrypted for a channel and posts it.
    pub async fn post_channel_media(
        &self,
        jid: &str,
        kind: MediaKind,
        data: Vec<u8>,
        out: &OutgoingMedia,
    ) -> Result<String, RuntimeError> {
        use sha2::Digest as _;
        let wire = match kind {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
            other => {
                return Err(RuntimeError::Refused {
                    code: 400,
                    text: format!(
                        "channels take images, videos and documents, not {}",
                        other.as_str()
                    ),
                })
            }
        };
        let sha: [u8; 32] = sha2::Sha256::digest(&data).into();
        let token = base64_url(&sha);
        let conn = self
            .client
            .refresh_media_conn(false)
            .await
            .map_err(|e| wa_err(format!("media upload failed: {e}")))?;
        let host = conn
            .hosts
            .first()
            .map(|h| h.hostname.clone())
            .ok_or_else(|| wa_err("media upload failed: no media host"))?;
        let url = format!(
            "https://{host}/newsletter/newsletter-{wire}/{token}?auth={}&token={token}",
            conn.auth
        );
        let len = data.len() as u64;
        let request = whatsapp_rust::http::HttpRequest::post(url)
            .with_header("Content-Type", "application/octet-stream")
            .with_body(data);
        let res = self
            .client
            .http_client
            .execute(request)
            .await
            .map_err(|e| wa_err(format!("media upload failed: {e}")))?;
        if !(200..300).contains(&res.status_code) {
            return Err(wa_err(format!(
                "media upload failed: HTTP {}",
                res.status_code
            )));
        }
        let answer: Value = serde_json::from_slice(&res.body)
            .map_err(|e| wa_err(format!("media upload failed: {e}")))?;
        let (Some(direct_path), Some(handle)) =
            (answer["direct_path"].as_str(), answer["handle"].as_str())
        else {
            return Err(wa_err("media upload failed: no direct path or handle"));
        };
        let uploaded = crate::media::Uploaded {
            url: answer["url"].as_str().unwrap_or_default().to_string(),
            direct_path: direct_path.to_string(),
            file_sha256: sha,
            file_length: len,
            ..Default::default()
        };
        let mut message = crate::media::media_message(kind, &uploaded, out);
        crate::media::strip_encryption(&mut message);
        self.post_to_channel(jid, &message, Some((wire, handle)))
            .await
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
