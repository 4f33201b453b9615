//! Send pacing: a burst of one number's sends waits in the durable queue and leaves spaced out;
//! a caller that hangs up while its message waits does not stop the message.

use crate::helpers::wa::{gateway_with, two_accounts};
use crate::helpers::Backend;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use wa_sim::SimServer;

both_backends!(paced_burst_and_hung_up_caller);

async fn paced_burst_and_hung_up_caller(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway_with(b, &sim, |c| c.send_interval_ms = 700).await;
    let (admin, _) = two_accounts(&app, &sim, "pace", ["15554440081", "15554440082"]).await;

    // Three sends at once leave one slot apart: the last answers two intervals after the first.
    let started = Instant::now();
    let sends: Vec<_> = (0..3)
        .map(|i| {
            let (http, base, token) = (app.http.clone(), app.base.clone(), admin.clone());
            tokio::spawn(async move {
                let r = http
                    .post(format!("{base}/send/text"))
                    .bearer_auth(token)
                    .json(&json!({"number": "15554440082", "text": format!("burst {i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                started.elapsed()
            })
        })
        .collect();
    let mut took = Vec::new();
    for s in sends {
        took.push(s.await.unwrap());
    }
    took.sort();
    assert!(
        took[2] >= Duration::from_millis(1400),
        "not paced: {took:?}"
    );

    // A caller that gives up while its message waits: the message is still sent.
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    for i in 0..2 {
        let _ = quick
            .post(format!("{}/send/text", app.base))
            .bearer_auth(&admin)
            .json(&json!({"number": "15554440082", "text": format!("hung up {i}")}))
            .send()
            .await;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen_queued = false;
    loop {
        let (st, q) = app.get("/messages/queue", &admin).await;
        assert_eq!(st, StatusCode::OK, "{q}");
        if q["count"] == json!(0) {
            break;
        }
        seen_queued = true;
        assert!(Instant::now() < deadline, "queue never drained: {q}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen_queued, "the hung-up send was never seen waiting");
    app.stop().await;
    sim.stop().await;
}
