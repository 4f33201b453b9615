//! Media jobs (WUTS's 202 path): audio and video that need converting with FFmpeg, or are
//! larger than the async threshold, are accepted once their row and input are in the database
//! and sent in the background. A job ends exactly once: `done` with the `message.sent` event
//! that names it, or `failed` with a `message.failed` event; a restart resumes every job that
//! has not ended. `GET /jobs/{job_id}` reads one.

use crate::devices::Target;
use crate::media::{max_bytes_of, CheckedMedia, MediaKind, MediaRequest};
use crate::media_source::MediaBytes;
use crate::transcode::VideoPlan;
use crate::Services;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use wuts_core::error::DomainResult;
use wuts_core::events::{Event, MessageFailedData};
use wuts_core::{time, DomainError, Principal};
use wuts_device::media::OutgoingMedia;
use wuts_store::events::NewEvent;
use wuts_store::jobs::{JobRow, NewJob};

/// Attempts a job gets (a crash during one counts) before it is failed.
pub const MAX_ATTEMPTS: i64 = 3;
/// How long a job waits for its device to be connected before it fails.
const DEVICE_WAIT: Duration = Duration::from_secs(120);

/// A send accepted as a job.
pub struct AcceptedJob {
    pub job_id: String,
    pub chat_jid: String,
    pub device: wuts_core::Device,
    pub accepted_at: i64,
}

/// The work a job does beyond uploading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) enum Work {
    /// Audio: converted to Ogg Opus, or (large, no conversion) sent as it is.
    Audio { convert: bool },
    Video {
        convert: bool,
        thumbnail: bool,
        gif: bool,
    },
}

impl Work {
    fn converts(self) -> bool {
        match self {
            Work::Audio { convert } => convert,
            Work::Video {
                convert, thumbnail, ..
            } => convert || thumbnail,
        }
    }
}

/// A send's options, as the job keeps them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct JobOptions {
    pub caption: Option<String>,
    pub seconds: Option<u32>,
    pub ptt: bool,
    pub view_once: bool,
    pub mentions: Vec<String>,
    /// The caller's JPEG thumbnail, base64 (checked when accepted).
    pub thumbnail: Option<String>,
    pub delay: f64,
    pub convert_mp4: bool,
    pub generate_thumbnail: bool,
    pub gif_playback: bool,
    /// Set when accepted.
    #[serde(default)]
    pub work: Option<Work>,
    #[serde(default)]
    pub download_ms: i64,
}

impl JobOptions {
    pub(crate) fn of(r: &MediaRequest, delay: f64) -> Self {
        Self {
            caption: r.caption.clone().filter(|c| !c.is_empty()),
            seconds: r.seconds,
            ptt: r.ptt,
            view_once: r.view_once,
            mentions: Vec::new(),
            thumbnail: r.thumbnail.clone().filter(|t| !t.trim().is_empty()),
            delay,
            convert_mp4: r.convert_mp4,
            generate_thumbnail: r.generate_thumbnail,
            gif_playback: r.gif_playback,
            work: None,
            download_ms: 0,
        }
    }
}

/// Whether checked media goes through a job, and what it does: audio that is not what
/// WhatsApp plays (a voice note must be Ogg Opus), video that is not MP4 or was asked to be
/// converted or given a generated thumbnail, and any audio or video above `async_bytes`.
pub(crate) fn plan(
    c: &CheckedMedia,
    o: &JobOptions,
    async_bytes: u64,
) -> DomainResult<Option<Work>> {
    let m = c.mime.split(';').next().unwrap_or("").trim();
    let large = c.fetched.bytes.len() > async_bytes;
    let work = match c.kind {
        MediaKind::Audio => {
            let opus = crate::media_inspect::is_opus(&c.mime);
            let plays = crate::media::accepted(MediaKind::Audio, &c.mime);
            let convert = if o.ptt { !opus } else { !plays };
            Work::Audio { convert }
        }
        MediaKind::Video => {
            let gif = o.gif_playback || m == "image/gif";
            Work::Video {
                convert: o.convert_mp4 || !crate::media::accepted(MediaKind::Video, &c.mime),
                thumbnail: o.generate_thumbnail && c.out.jpeg_thumbnail.is_none(),
                gif,
            }
        }
        _ => return Ok(None),
    };
    Ok((work.converts() || large).then_some(work))
}

impl Services {
    /// Accepts a send as a job: FFmpeg must be here when it converts; what it converts must be
    /// readable media of its kind (known now: a 400, not a failed job later); the job and its
    /// input are recorded before this answers, then it runs.
    pub(crate) async fn accept_job(
        &self,
        at: &Target,
        c: CheckedMedia,
        work: Work,
        mut options: JobOptions,
        to: &str,
    ) -> DomainResult<AcceptedJob> {
        if work.converts() && !self.transcoder.available() {
            // The error names what to install.
            return Err(self.transcoder_unavailable());
        }
        let _ = self.connected_device(&c.device).await?;
        options.mentions = c.out.mentions.clone();
        options.work = Some(work);
        options.download_ms = c.fetched.download_ms;
        let CheckedMedia {
            device,
            kind,
            fetched,
            mime,
            source_field,
            ..
        } = c;
        let input = match fetched.bytes {
            MediaBytes::Memory(b) => b,
            MediaBytes::File(f, _) => tokio::fs::read(f.path())
                .await
                .map_err(|e| DomainError::Internal(format!("media file: {e}")))?,
        };
        if work.converts() {
            let dir = self.transcoder.scratch()?;
            let path = dir.path().join("input");
            tokio::fs::write(&path, &input)
                .await
                .map_err(|e| DomainError::Internal(format!("conversion file: {e}")))?;
            let probe = self.transcoder.probe(&source_field, &path).await?;
            let (needed, what) = match kind {
                MediaKind::Audio => (probe.audio.is_some(), "an audio stream"),
                _ => (probe.video.is_some(), "a video stream"),
            };
            if !needed {
                return Err(DomainError::field(
                    &source_field,
                    format!("has no {what} ({} file)", probe.format),
                ));
            }
        }
        let job_id = format!("job_{}", uuid::Uuid::new_v4().simple());
        let now = time::now_millis();
        let request = serde_json::to_string(&options)
            .map_err(|e| DomainError::Internal(format!("job request: {e}")))?;
        self.store
            .insert_job(&NewJob {
                job_id: job_id.clone(),
                tenant_id: device.tenant_id.clone(),
                device_id: device.id.clone(),
                user_id: at.principal().user_id.clone(),
                kind: kind.as_str().to_string(),
                chat_jid: to.to_string(),
                request,
                input,
                input_mime: mime,
                created_at: now,
            })
            .await?;
        metrics::counter!("wuts_media_jobs_total", "kind" => kind.as_str(), "outcome" => "accepted")
            .increment(1);
        let this = self.clone();
        let id = job_id.clone();
        tokio::spawn(async move { this.run_job(id).await });
        Ok(AcceptedJob {
            job_id,
            chat_jid: to.to_string(),
            device,
            accepted_at: now,
        })
    }

    fn transcoder_unavailable(&self) -> DomainError {
        let reason = self
            .transcoder
            .status()
            .reason
            .unwrap_or_else(|| "FFmpeg is not available".into());
        DomainError::Unavailable(format!(
            "media conversion is unavailable ({reason}): install FFmpeg (Debian: apt install \
             ffmpeg) or set WUTS_FFMPEG to its path"
        ))
    }

    /// Resumes every job an earlier run left open: those not sent yet run again; one whose
    /// message is in the outbox is left to it; one whose message went out is settled.
    pub async fn resume_jobs(&self) {
        let jobs = match self.store.open_jobs().await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!("cannot read the media jobs: {e}");
                return;
            }
        };
        for job in jobs {
            let this = self.clone();
            tokio::spawn(async move {
                if job.status == "sending" {
                    this.settle_job(&job).await;
                } else {
                    this.run_job(job.job_id).await;
                }
            });
        }
    }

    /// A job whose message was queued when the last run stopped.
    async fn settle_job(&self, job: &JobRow) {
        let Some(message_id) = job.message_id.as_deref() else {
            return self.fail_job(job, "the send was interrupted").await;
        };
        match self.store.message(&job.device_id, message_id).await {
            // Still in the outbox: its send records message.sent and settles the job.
            Ok(Some(m)) if m.status == "queued" => {}
            Ok(Some(m)) if m.status == "failed" => {
                self.fail_job(job, "the queued message was given up").await
            }
            Ok(Some(_)) => {
                if let Err(e) = self
                    .store
                    .finish_job(&job.job_id, message_id, time::now_millis())
                    .await
                {
                    tracing::warn!(job_id = %job.job_id, "job not settled: {e}");
                }
            }
            Ok(None) => self.fail_job(job, "the send failed").await,
            Err(e) => tracing::warn!(job_id = %job.job_id, "job not settled: {e}"),
        }
    }

    /// Runs one attempt at a job and ends it (done or failed), unless it is already sending
    /// or ended.
    pub(crate) async fn run_job(&self, job_id: String) {
        let job = match self.store.start_job(&job_id, time::now_millis()).await {
            Ok(Some(j)) => j,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(%job_id, "job not started: {e}");
                return;
            }
        };
        let outcome = if job.attempts > MAX_ATTEMPTS {
            Err(DomainError::Unavailable(format!(
                "gave up after {MAX_ATTEMPTS} attempts"
            )))
        } else {
            self.job_attempt(&job).await
        };
        if let Err(e) = outcome {
            let reason = match e {
                DomainError::Validation { fields, message } => fields
                    .first()
                    .map(|f| format!("{} {}", f.field, f.message))
                    .unwrap_or(message),
                other => other.to_string(),
            };
            tracing::info!(%job_id, "media job failed: {reason}");
            self.fail_job(&job, &reason).await;
        }
    }

    /// Ends a job as failed with its `message.failed` event (once).
    async fn fail_job(&self, job: &JobRow, reason: &str) {
        let now = time::now_millis();
        let event = Event::MessageFailed(MessageFailedData {
            job_id: job.job_id.clone(),
            message_id: job.message_id.clone().unwrap_or_default(),
            chat_jid: job.chat_jid.clone(),
            is_group: job.chat_jid.ends_with("@g.us"),
            message_type: job.kind.clone(),
            error: reason.to_string(),
            timestamp: time::rfc3339(now),
        });
        match self
            .store
            .fail_job(
                &job.job_id,
                &job.device_id,
                reason,
                &NewEvent::new(&event),
                now,
            )
            .await
        {
            Ok(true) => {
                metrics::counter!("wuts_media_jobs_total", "kind" => kind_label(&job.kind), "outcome" => "failed")
                    .increment(1)
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(job_id = %job.job_id, "job failure not recorded: {e}"),
        }
    }

    /// Converts what the job needs, uploads it through its device once that is connected, and
    /// sends it (the send records `message.sent` with the job's id and settles the job).
    async fn job_attempt(&self, job: &JobRow) -> DomainResult<()> {
        let o: JobOptions = serde_json::from_str(&job.request)
            .map_err(|e| DomainError::Internal(format!("job request: {e}")))?;
        let work = o
            .work
            .ok_or_else(|| DomainError::Internal("job without work".into()))?;
        let kind = match work {
            Work::Audio { .. } => MediaKind::Audio,
            Work::Video { .. } => MediaKind::Video,
        };
        let input = self
            .store
            .job_input(&job.job_id)
            .await?
            .ok_or_else(|| DomainError::Internal("the job's input is gone".into()))?;
        let head = input[..input.len().min(8192)].to_vec();
        let dir = self.transcoder.scratch()?;
        let in_path = dir.path().join("input");
        tokio::fs::write(&in_path, &input)
            .await
            .map_err(|e| DomainError::Internal(format!("conversion file: {e}")))?;
        drop(input);
        let thumbnail = match o.thumbnail.as_deref() {
            Some(t) => Some(
                crate::media_source::from_base64("thumbnail", t, 256 * 1024)?
                    .bytes
                    .into_vec()
                    .map_err(|e| DomainError::Internal(e.to_string()))?,
            ),
            None => None,
        };
        let mut out = OutgoingMedia {
            mime_type: job.input_mime.clone(),
            caption: o.caption.clone(),
            seconds: o.seconds,
            ptt: o.ptt,
            view_once: o.view_once,
            jpeg_thumbnail: thumbnail,
            mentions: o.mentions.clone(),
            ..Default::default()
        };
        let max = max_bytes_of(kind);
        let started = Instant::now();
        let send_path = if work.converts() {
            let _slot = self.transcoder.slot().await;
            let converted = match work {
                Work::Audio { .. } => {
                    let a = self.transcoder.audio(&in_path, dir.path(), max).await;
                    a.map(|a| {
                        out.mime_type = "audio/ogg; codecs=opus".into();
                        out.seconds = out.seconds.or(Some(a.seconds));
                        if o.ptt {
                            out.waveform = Some(a.waveform);
                        }
                        a.ogg
                    })
                }
                Work::Video {
                    convert,
                    thumbnail,
                    gif,
                } => {
                    let plan = VideoPlan {
                        convert,
                        thumbnail,
                        gif,
                    };
                    let v = self.transcoder.video(&in_path, dir.path(), plan, max).await;
                    v.map(|v| {
                        out.seconds = out.seconds.or(v.seconds);
                        out.width = v.width;
                        out.height = v.height;
                        out.gif_playback = gif;
                        if out.jpeg_thumbnail.is_none() {
                            out.jpeg_thumbnail = v.thumbnail;
                        }
                        match v.mp4 {
                            Some(mp4) => {
                                out.mime_type = "video/mp4".into();
                                mp4
                            }
                            None => in_path.clone(),
                        }
                    })
                }
            };
            let outcome = if converted.is_ok() { "done" } else { "failed" };
            metrics::counter!("wuts_media_conversions_total", "kind" => kind.as_str(), "outcome" => outcome)
                .increment(1);
            metrics::histogram!("wuts_media_conversion_seconds", "kind" => kind.as_str())
                .record(started.elapsed().as_secs_f64());
            converted?
        } else {
            // Large and playable as it is.
            if kind == MediaKind::Video {
                out.seconds = out.seconds.or(crate::media_inspect::mp4_seconds(&head));
                out.gif_playback = o.gif_playback;
                if self.transcoder.available() {
                    self.video_facts(&in_path, &mut out).await;
                }
            }
            in_path.clone()
        };
        self.store
            .set_job_converted(&job.job_id, started.elapsed().as_millis() as i64)
            .await?;
        let live = self.wait_live(&job.device_id, DEVICE_WAIT).await?;
        let size = tokio::fs::metadata(&send_path)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        let uploaded = live
            .upload_media_file(send_path, kind)
            .await
            .map_err(|e| DomainError::Unavailable(e.to_string()))?;
        drop(dir);
        let message = wuts_device::convert::media::build(kind, &uploaded, &out);
        crate::messages::pause(o.delay).await;
        let device = live.device.clone();
        let mime = out.mime_type.clone();
        self.deliver_media(
            &device,
            &live,
            &job.chat_jid,
            kind.as_str(),
            message,
            &out,
            &mime,
            size,
            Some(job.job_id.clone()),
        )
        .await?;
        metrics::counter!("wuts_media_jobs_total", "kind" => kind.as_str(), "outcome" => "done")
            .increment(1);
        Ok(())
    }

    /// A job of a device the caller may use.
    pub async fn job(&self, caller: &Principal, job_id: &str) -> DomainResult<JobRow> {
        let row = self
            .store
            .job(&caller.tenant_id, job_id)
            .await?
            .ok_or_else(|| DomainError::NotFound("no job with this id".into()))?;
        self.device(&Target::new(caller.clone(), Some(row.device_id.clone())))
            .await?;
        Ok(row)
    }
}

fn kind_label(kind: &str) -> &'static str {
    if kind == "audio" {
        "audio"
    } else {
        "video"
    }
}
