//! The threads that carry the focus's media jobs to the cores, through the admin API's
//! typed calls (the one path conferences and legs are created and removed by). A core
//! answers a command within its housekeeping period, so the SIP thread never waits on
//! one: it hands jobs here and hears the outcomes through a channel and a poller wake-up.

use std::sync::Arc;
use std::thread::JoinHandle;

use mio::Waker;

use crate::admin::AdminApi;
use crate::sip::focus::{JobId, MediaJob, MediaOutcome, MediaWork};

/// Runs one job.
fn run(admin: &AdminApi, work: MediaWork) -> MediaOutcome {
    let outcome = match work {
        MediaWork::CreateConference { policy, mixer_key } => admin
            .create_conference_keyed(policy, mixer_key.map(|k| *k))
            .map(MediaOutcome::Created),
        MediaWork::SetMixerKey { conference, key } => admin
            .set_mixer_key(conference, *key)
            .map(|()| MediaOutcome::Changed),
        MediaWork::AddLeg {
            conference,
            request,
        } => admin
            .add_leg_with(conference, &request)
            .map(MediaOutcome::Added),
        MediaWork::ReplaceLeg {
            old,
            conference,
            request,
        } => {
            // Already gone is fine: the new leg is what matters.
            let _ = admin.remove_leg_by_id(old);
            admin
                .add_leg_with(conference, &request)
                .map(MediaOutcome::Added)
        }
        MediaWork::ChangeLeg { leg, request } => admin
            .replace_leg_with(leg, &request)
            .map(MediaOutcome::Added),
        MediaWork::RemoveLeg { leg } => admin.remove_leg_by_id(leg).map(|()| MediaOutcome::Removed),
        MediaWork::RemoveConference { conference } => admin
            .remove_conference_by_id(conference)
            .map(|()| MediaOutcome::Removed),
        MediaWork::SetSelection { conference, policy } => {
            // The admin API's one path for policy changes (the core, then the registry).
            let body = serde_json::json!({ "loudest_n": policy.max_talkers }).to_string();
            let path = format!("/v1/conferences/{}", conference.0);
            let answer = admin.handle(&tiny_http::Method::Patch, &path, body.as_bytes());
            if answer.status == 200 {
                Ok(MediaOutcome::Changed)
            } else {
                Err(crate::admin::ApiError::not_found(format!(
                    "the selection of conference {} was not changed ({})",
                    conference.0, answer.status
                )))
            }
        }
    };
    outcome.unwrap_or_else(MediaOutcome::Failed)
}

/// Starts `count` workers; they end when `jobs` closes.
pub fn spawn(
    count: usize,
    admin: Arc<AdminApi>,
    jobs: crossbeam_channel::Receiver<MediaJob>,
    outcomes: crossbeam_channel::Sender<(JobId, MediaOutcome)>,
    waker: Arc<Waker>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    (0..count)
        .map(|index| {
            let admin = admin.clone();
            let jobs = jobs.clone();
            let outcomes = outcomes.clone();
            let waker = waker.clone();
            std::thread::Builder::new()
                .name(format!("medianode-sip-media-{index}"))
                .spawn(move || {
                    for job in jobs.iter() {
                        let outcome = run(&admin, job.work);
                        if outcomes.send((job.id, outcome)).is_err() {
                            return;
                        }
                        if let Err(error) = waker.wake() {
                            tracing::error!(%error, "cannot wake the SIP thread");
                        }
                    }
                })
        })
        .collect()
}
