//! Media conversion with FFmpeg (and its `ffprobe`): any audio as WhatsApp's voice note (Ogg
//! Opus, mono, 48 kHz) with a waveform from the decoded audio, any video as H.264/AAC MP4 with
//! `+faststart`, a JPEG frame as a video's thumbnail.
//!
//! FFmpeg runs as a child process, never through a shell: a time limit (the child is killed
//! when it passes), an address-space limit, an output-size limit (`-fs`), its files in a
//! temporary directory of its own that is removed whatever happens, and at most `concurrency`
//! conversions at once (the rest wait their turn). A directory a killed process left behind is
//! removed at the next start.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wuts_core::error::DomainResult;
use wuts_core::DomainError;

/// How conversions run.
#[derive(Debug, Clone)]
pub struct TranscodeConfig {
    /// The `ffmpeg` program (`WUTS_FFMPEG`); None: found on `PATH`. `ffprobe` is taken from the
    /// same directory, else from `PATH`.
    pub ffmpeg: Option<PathBuf>,
    /// Conversions at once; the others wait.
    pub concurrency: usize,
    /// The longest one FFmpeg run may take.
    pub time_limit: Duration,
    /// The address space one FFmpeg process may map, in MiB.
    pub memory_mb: u64,
    /// Where conversions keep their files (a directory per conversion); None: the system's
    /// temporary directory, `wuts-convert` in it.
    pub work_dir: Option<PathBuf>,
}

impl Default for TranscodeConfig {
    fn default() -> Self {
        Self {
            ffmpeg: None,
            concurrency: std::thread::available_parallelism()
                .map(|n| (n.get() / 2).max(1))
                .unwrap_or(1),
            time_limit: Duration::from_secs(120),
            memory_mb: 2048,
            work_dir: None,
        }
    }
}

/// The FFmpeg programs found at start.
#[derive(Debug, Clone)]
struct Tools {
    ffmpeg: PathBuf,
    ffprobe: PathBuf,
    version: String,
}

/// Whether conversion is possible here, and how busy it is (for `GET /ready`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConversionStatus {
    pub available: bool,
    pub ffmpeg: Option<String>,
    pub version: Option<String>,
    /// Why conversion is unavailable.
    pub reason: Option<String>,
    pub concurrency: usize,
    pub running: usize,
    pub waiting: usize,
}

/// What `ffprobe` says of a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    pub format: String,
    pub seconds: Option<f64>,
    pub audio: Option<String>,
    pub video: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// A voice note or audio file made from any audio.
#[derive(Debug)]
pub struct AudioOut {
    pub ogg: PathBuf,
    pub seconds: u32,
    pub waveform: Vec<u8>,
}

/// What a video conversion made.
#[derive(Debug, Default)]
pub struct VideoOut {
    /// The MP4, when the video was converted.
    pub mp4: Option<PathBuf>,
    pub thumbnail: Option<Vec<u8>>,
    pub seconds: Option<u32>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// What to do with a video.
#[derive(Debug, Clone, Copy, Default)]
pub struct VideoPlan {
    pub convert: bool,
    pub thumbnail: bool,
    /// A GIF-like video: no sound, played in a loop.
    pub gif: bool,
}

/// The conversions of this process.
pub struct Transcoder {
    tools: Result<Tools, String>,
    config: TranscodeConfig,
    work_dir: PathBuf,
    permits: Arc<tokio::sync::Semaphore>,
    running: AtomicUsize,
    waiting: AtomicUsize,
}

/// The 64 points of a voice note's waveform.
pub const WAVEFORM_POINTS: usize = 64;
/// The sample rate the waveform is computed at.
const WAVEFORM_RATE: u32 = 8000;

impl Transcoder {
    /// Finds FFmpeg (absent: conversion is unavailable, the server runs on) and removes what
    /// conversions of dead processes left in the work directory.
    pub fn new(config: TranscodeConfig) -> Self {
        let tools = find_tools(config.ffmpeg.as_deref());
        match &tools {
            Ok(t) => {
                tracing::info!(ffmpeg = %t.ffmpeg.display(), version = %t.version, "media conversion available")
            }
            Err(e) => tracing::warn!("media conversion unavailable: {e}"),
        }
        let work_dir = config
            .work_dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("wuts-convert"));
        sweep(&work_dir);
        Self {
            tools,
            permits: Arc::new(tokio::sync::Semaphore::new(config.concurrency.max(1))),
            config,
            work_dir,
            running: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
        }
    }

    pub fn status(&self) -> ConversionStatus {
        let (ffmpeg, version, reason) = match &self.tools {
            Ok(t) => (
                Some(t.ffmpeg.display().to_string()),
                Some(t.version.clone()),
                None,
            ),
            Err(e) => (None, None, Some(e.clone())),
        };
        ConversionStatus {
            available: self.tools.is_ok(),
            ffmpeg,
            version,
            reason,
            concurrency: self.config.concurrency.max(1),
            running: self.running.load(Ordering::Relaxed),
            waiting: self.waiting.load(Ordering::Relaxed),
        }
    }

    /// The tools, or the error a send that needs them answers.
    fn tools(&self) -> DomainResult<&Tools> {
        self.tools.as_ref().map_err(|e| {
            DomainError::Unavailable(format!(
                "media conversion is unavailable: {e}; install FFmpeg (Debian: apt install ffmpeg) \
                 or set WUTS_FFMPEG to its path"
            ))
        })
    }

    pub fn available(&self) -> bool {
        self.tools.is_ok()
    }

    /// A fresh directory for one conversion, removed when dropped.
    pub fn scratch(&self) -> DomainResult<tempfile::TempDir> {
        std::fs::create_dir_all(&self.work_dir)
            .and_then(|_| {
                tempfile::Builder::new()
                    .prefix(&format!("wuts-{}-", std::process::id()))
                    .tempdir_in(&self.work_dir)
            })
            .map_err(|e| DomainError::Internal(format!("conversion directory: {e}")))
    }

    /// Waits for a conversion slot; the slot is held until the guard drops.
    pub async fn slot(&self) -> Slot<'_> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("wuts_media_conversion_queue_depth").increment(1.0);
        let permit = self.permits.clone().acquire_owned().await.ok();
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("wuts_media_conversion_queue_depth").decrement(1.0);
        self.running.fetch_add(1, Ordering::Relaxed);
        Slot {
            owner: self,
            _permit: permit,
        }
    }

    /// What a file holds, by `ffprobe` (a file FFmpeg cannot read is a validation error on
    /// `field`).
    pub async fn probe(&self, field: &str, input: &Path) -> DomainResult<Probe> {
        let tools = self.tools()?;
        let args: Vec<OsString> = [
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_entries",
            "format=format_name,duration:stream=codec_type,codec_name,width,height",
            "-i",
        ]
        .into_iter()
        .map(OsString::from)
        .chain([input.as_os_str().to_owned()])
        .collect();
        let limit = self.config.time_limit.min(Duration::from_secs(20));
        let out = self.run(&tools.ffprobe, args, limit).await.map_err(|e| {
            DomainError::field(field, format!("is not a readable media file ({e})"))
        })?;
        let v: serde_json::Value = serde_json::from_slice(&out)
            .map_err(|_| DomainError::field(field, "is not a readable media file"))?;
        let mut p = Probe {
            format: v["format"]["format_name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            seconds: v["format"]["duration"]
                .as_str()
                .and_then(|d| d.parse::<f64>().ok())
                .filter(|d| d.is_finite() && *d >= 0.0),
            ..Default::default()
        };
        for s in v["streams"].as_array().into_iter().flatten() {
            let codec = s["codec_name"].as_str().unwrap_or_default().to_string();
            match s["codec_type"].as_str() {
                Some("audio") if p.audio.is_none() => p.audio = Some(codec),
                Some("video") if p.video.is_none() => {
                    p.video = Some(codec);
                    p.width = s["width"].as_u64().and_then(|w| u32::try_from(w).ok());
                    p.height = s["height"].as_u64().and_then(|h| u32::try_from(h).ok());
                }
                _ => {}
            }
        }
        Ok(p)
    }

    /// Any audio as Ogg Opus, mono, 48 kHz (WhatsApp's voice note), with its duration and a
    /// 64-point waveform of the decoded audio (0–100, the loudest point 100).
    pub async fn audio(&self, input: &Path, dir: &Path, max_bytes: u64) -> DomainResult<AudioOut> {
        let tools = self.tools()?;
        let ogg = dir.join("voice.ogg");
        let pcm = dir.join("wave.raw");
        let mut args = ffmpeg_head(input);
        args.extend(strs(&[
            "-map",
            "0:a:0",
            "-vn",
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            "-ac",
            "1",
            "-ar",
            "48000",
            "-c:a",
            "libopus",
            "-b:a",
            "32k",
            "-vbr",
            "on",
            "-application",
            "voip",
        ]));
        args.extend(strs(&["-fs", &max_bytes.to_string(), "-f", "ogg"]));
        args.push(ogg.clone().into());
        // The same decode, once more as raw samples for the waveform and the duration.
        args.extend(pcm_output(&pcm));
        self.run(&tools.ffmpeg, args, self.config.time_limit)
            .await
            .map_err(|e| DomainError::field("audio", format!("could not be converted: {e}")))?;
        within(&ogg, max_bytes, "audio")?;
        let (seconds, waveform) = tokio::task::spawn_blocking(move || waveform_of(&pcm))
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?
            .map_err(|e| DomainError::Internal(format!("waveform: {e}")))?;
        Ok(AudioOut {
            ogg,
            seconds,
            waveform,
        })
    }

    /// Duration and waveform of audio that needs no conversion (an Ogg Opus voice note).
    pub async fn waveform(&self, input: &Path, dir: &Path) -> DomainResult<(u32, Vec<u8>)> {
        let tools = self.tools()?;
        let pcm = dir.join("wave.raw");
        let mut args = ffmpeg_head(input);
        args.extend(pcm_output(&pcm));
        self.run(&tools.ffmpeg, args, self.config.time_limit)
            .await
            .map_err(|e| DomainError::field("audio", format!("could not be decoded: {e}")))?;
        tokio::task::spawn_blocking(move || waveform_of(&pcm))
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?
            .map_err(|e| DomainError::Internal(format!("waveform: {e}")))
    }

    /// Converts a video to H.264/AAC MP4 with `+faststart` (when `plan.convert`) and takes a
    /// JPEG frame as its thumbnail (when `plan.thumbnail`); the duration and dimensions are
    /// read from what is sent.
    pub async fn video(
        &self,
        input: &Path,
        dir: &Path,
        plan: VideoPlan,
        max_bytes: u64,
    ) -> DomainResult<VideoOut> {
        let tools = self.tools()?;
        let mut out = VideoOut::default();
        let mut sent = input.to_path_buf();
        if plan.convert {
            let mp4 = dir.join("video.mp4");
            let mut args = ffmpeg_head(input);
            args.extend(strs(&[
                "-map",
                "0:v:0",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "26",
                "-pix_fmt",
                "yuv420p",
                "-vf",
                "scale='min(1280,iw)':'min(1280,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2",
            ]));
            if plan.gif {
                args.extend(strs(&["-an"]));
            } else {
                args.extend(strs(&[
                    "-map", "0:a:0?", "-c:a", "aac", "-b:a", "96k", "-ac", "2",
                ]));
            }
            args.extend(strs(&[
                "-map_metadata",
                "-1",
                "-movflags",
                "+faststart",
                "-fs",
                &max_bytes.to_string(),
                "-f",
                "mp4",
            ]));
            args.push(mp4.clone().into());
            self.run(&tools.ffmpeg, args, self.config.time_limit)
                .await
                .map_err(|e| DomainError::field("video", format!("could not be converted: {e}")))?;
            within(&mp4, max_bytes, "video")?;
            sent = mp4.clone();
            out.mp4 = Some(mp4);
        }
        let probe = self.probe("video", &sent).await?;
        out.seconds = probe.seconds.map(|s| s.round().max(1.0) as u32);
        out.width = probe.width;
        out.height = probe.height;
        if plan.thumbnail {
            let jpeg = dir.join("thumb.jpg");
            // A frame a little way in (the first is often black), never past the end.
            let at = probe.seconds.map_or(0.0, |s| (s / 3.0).min(1.0));
            let mut args: Vec<OsString> = strs(&[
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-threads",
                "1",
                "-ss",
                &format!("{at:.3}"),
                "-i",
            ]);
            args.push(sent.clone().into());
            args.extend(strs(&[
                "-frames:v",
                "1",
                "-vf",
                "scale='min(96,iw)':'min(96,ih)':force_original_aspect_ratio=decrease",
                "-q:v",
                "5",
                "-f",
                "image2",
                "-c:v",
                "mjpeg",
            ]));
            args.push(jpeg.clone().into());
            self.run(&tools.ffmpeg, args, self.config.time_limit)
                .await
                .map_err(|e| DomainError::field("video", format!("no thumbnail: {e}")))?;
            out.thumbnail = std::fs::read(&jpeg).ok().filter(|t| !t.is_empty());
        }
        Ok(out)
    }

    /// Runs `program` with `args` (no shell) within `limit`, its address space bounded;
    /// answers its standard output, or why it failed (its last line of errors).
    async fn run(
        &self,
        program: &Path,
        args: Vec<OsString>,
        limit: Duration,
    ) -> Result<Vec<u8>, RunError> {
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let bytes = self.config.memory_mb.saturating_mul(1024 * 1024);
        #[cfg(unix)]
        // SAFETY: only setrlimit and prctl, both async-signal-safe, run between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if bytes > 0 {
                    let lim = libc::rlimit {
                        rlim_cur: bytes as libc::rlim_t,
                        rlim_max: bytes as libc::rlim_t,
                    };
                    if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                // A gateway killed outright takes its conversions with it (the runtime's
                // worker threads, which spawn them, live as long as the process).
                #[cfg(target_os = "linux")]
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let started = Instant::now();
        let child = cmd.spawn().map_err(RunError::Spawn)?;
        // On the deadline the wait is dropped, and with it the child, which is killed.
        let output = tokio::time::timeout(limit, child.wait_with_output())
            .await
            .map_err(|_| RunError::TimedOut(limit))?
            .map_err(RunError::Spawn)?;
        tracing::debug!(program = %program.display(), ms = started.elapsed().as_millis() as u64, "ffmpeg run");
        if output.status.success() {
            return Ok(output.stdout);
        }
        let err = String::from_utf8_lossy(&output.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .chars()
            .take(300)
            .collect::<String>();
        Err(RunError::Failed(match output.status.code() {
            Some(c) if last.is_empty() => format!("exit status {c}"),
            Some(_) => last,
            None => "killed by a signal (memory limit?)".to_string(),
        }))
    }
}

/// A conversion slot; dropping it frees it.
pub struct Slot<'a> {
    owner: &'a Transcoder,
    _permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.owner.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why an FFmpeg run failed.
#[derive(Debug)]
enum RunError {
    Spawn(std::io::Error),
    TimedOut(Duration),
    Failed(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Spawn(e) => write!(f, "FFmpeg could not run: {e}"),
            RunError::TimedOut(d) => write!(
                f,
                "conversion took longer than the limit of {} s",
                d.as_secs_f64()
            ),
            RunError::Failed(e) => write!(f, "FFmpeg: {e}"),
        }
    }
}

fn strs(a: &[&str]) -> Vec<OsString> {
    a.iter().map(OsString::from).collect()
}

/// The options every conversion starts with: quiet, no prompt, one thread per decode, input.
fn ffmpeg_head(input: &Path) -> Vec<OsString> {
    let mut args = strs(&[
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-threads",
        "2",
        "-i",
    ]);
    args.push(input.as_os_str().to_owned());
    args
}

/// An output of the first audio stream as raw mono 16-bit samples at [`WAVEFORM_RATE`].
fn pcm_output(pcm: &Path) -> Vec<OsString> {
    let mut args = strs(&["-map", "0:a:0", "-vn", "-ac", "1", "-ar"]);
    args.push(WAVEFORM_RATE.to_string().into());
    args.extend(strs(&["-c:a", "pcm_s16le", "-f", "s16le"]));
    args.push(pcm.into());
    args
}

/// An output FFmpeg stopped at `-fs` is as large as the limit: refused, not sent truncated.
fn within(path: &Path, max_bytes: u64, field: &str) -> DomainResult<()> {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Err(DomainError::field(
            field,
            "converted to nothing (no audio or video in it?)",
        ));
    }
    if len >= max_bytes {
        return Err(DomainError::field(
            field,
            format!("converted is larger than the limit of {max_bytes} bytes"),
        ));
    }
    Ok(())
}

/// Duration (seconds, rounded, at least 1) and a 64-point waveform of raw mono 16-bit samples
/// at [`WAVEFORM_RATE`]: the mean loudness of each 64th of the clip, scaled so the loudest is
/// 100.
fn waveform_of(pcm: &Path) -> std::io::Result<(u32, Vec<u8>)> {
    use std::io::Read as _;
    let samples = std::fs::metadata(pcm)?.len() / 2;
    let mut sums = [0f64; WAVEFORM_POINTS];
    let mut counts = [0u64; WAVEFORM_POINTS];
    let mut file = std::io::BufReader::with_capacity(64 * 1024, std::fs::File::open(pcm)?);
    let mut buf = vec![0u8; 64 * 1024];
    let mut index = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        for pair in buf[..n & !1].chunks_exact(2) {
            let v = i16::from_le_bytes([pair[0], pair[1]]) as f64;
            let bucket = ((index * WAVEFORM_POINTS as u64) / samples.max(1)) as usize;
            let b = bucket.min(WAVEFORM_POINTS - 1);
            sums[b] += v.abs();
            counts[b] += 1;
            index += 1;
        }
    }
    let means: Vec<f64> = sums
        .iter()
        .zip(counts)
        .map(|(s, c)| if c == 0 { 0.0 } else { s / c as f64 })
        .collect();
    let max = means.iter().cloned().fold(0.0, f64::max);
    let wave = means
        .iter()
        .map(|m| {
            if max > 0.0 {
                (m / max * 100.0).round() as u8
            } else {
                0
            }
        })
        .collect();
    let seconds = ((samples as f64 / WAVEFORM_RATE as f64).round() as u32).max(1);
    Ok((seconds, wave))
}

/// `ffmpeg` (configured, else on `PATH`) and `ffprobe` (beside it, else on `PATH`), checked by
/// running them.
fn find_tools(configured: Option<&Path>) -> Result<Tools, String> {
    let ffmpeg = match configured {
        Some(p) => p.to_path_buf(),
        None => which::which("ffmpeg").map_err(|_| "ffmpeg is not on PATH".to_string())?,
    };
    let beside = ffmpeg.with_file_name("ffprobe");
    let ffprobe = if beside.is_file() {
        beside
    } else {
        which::which("ffprobe").map_err(|_| "ffprobe is not on PATH".to_string())?
    };
    let version = std::process::Command::new(&ffmpeg)
        .arg("-version")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{} does not run: {e}", ffmpeg.display()))?;
    if !version.status.success() {
        return Err(format!("{} -version failed", ffmpeg.display()));
    }
    let version = String::from_utf8_lossy(&version.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let encoders = std::process::Command::new(&ffmpeg)
        .args(["-hide_banner", "-encoders"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{} does not run: {e}", ffmpeg.display()))?;
    let listed = String::from_utf8_lossy(&encoders.stdout);
    for needed in ["libopus", "libx264", "aac"] {
        if !listed.split_whitespace().any(|w| w == needed) {
            return Err(format!("{} has no {needed} encoder", ffmpeg.display()));
        }
    }
    Ok(Tools {
        ffmpeg,
        ffprobe,
        version,
    })
}

/// Removes conversion directories whose process is gone (a SIGKILL leaves them behind).
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix("wuts-")
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waveform_follows_loudness() {
        let dir = tempfile::tempdir().unwrap();
        let pcm = dir.path().join("w.raw");
        // 4 s: silence, loud, silence, half as loud.
        let mut b = Vec::new();
        for i in 0..(4 * WAVEFORM_RATE) {
            let amp = match i / WAVEFORM_RATE {
                1 => 20000.0,
                3 => 10000.0,
                _ => 0.0,
            };
            let v = (amp * (i as f64 * 0.3).sin()) as i16;
            b.extend(v.to_le_bytes());
        }
        std::fs::write(&pcm, b).unwrap();
        let (secs, wave) = waveform_of(&pcm).unwrap();
        assert_eq!(secs, 4);
        assert_eq!(wave.len(), 64);
        assert!(wave[..16].iter().all(|w| *w == 0));
        assert!(wave[16..32].iter().all(|w| *w > 90), "{wave:?}");
        assert!(wave[48..].iter().all(|w| (40..=60).contains(w)), "{wave:?}");
    }

    #[test]
    fn sweep_keeps_live_processes_files() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join(format!("wuts-{}-a", std::process::id()));
        let dead = dir.path().join("wuts-999999999-b");
        std::fs::create_dir_all(&mine).unwrap();
        std::fs::create_dir_all(&dead).unwrap();
        sweep(dir.path());
        assert!(mine.exists());
        assert!(!dead.exists());
    }
}
