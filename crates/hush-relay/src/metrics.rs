//! What a relay has done since it started, in the Prometheus text format (`--metrics-listen`).
//!
//! Only counts and timings: requests by method, route template and status, their latency, events
//! appended and served, and rate-limit refusals. No team, device or address ever becomes a label
//! (route templates keep ids out, as in the request log), so a scrape tells an operator how busy
//! the relay is and nothing about who uses it. Counters live in memory per process, as Prometheus
//! expects; they restart from zero with the process.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds (a long-poll waits up to 30 s).
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Which limiter refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Too many requests from one client address.
    Ip,
    /// Too many requests from one authenticated device.
    Device,
}

/// What one (route template, method) answered.
#[derive(Clone, Debug, Default)]
struct Route {
    /// Requests by status.
    statuses: BTreeMap<u16, u64>,
    /// Their latency.
    latency: Histogram,
}

#[derive(Clone, Debug, Default)]
struct Histogram {
    /// Observations at or under each bound of [`LATENCY_BUCKETS`] (not cumulative here).
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

/// The relay's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Route template → method → what it answered (looked up by `&str`: no allocation once a
    /// route has been seen).
    routes: Mutex<BTreeMap<String, BTreeMap<String, Route>>>,
    appended: AtomicU64,
    served: AtomicU64,
    refused_ip: AtomicU64,
    refused_device: AtomicU64,
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), BTreeMap::new());
        }
        let methods = routes.get_mut(route).expect("inserted above");
        if !methods.contains_key(method) {
            methods.insert(method.to_owned(), Route::default());
        }
        let r = methods.get_mut(method).expect("inserted above");
        *r.statuses.entry(status).or_default() += 1;
        let h = &mut r.latency;
        if let Some(i) = LATENCY_BUCKETS.iter().position(|b| secs <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum_secs += secs;
    }

    /// Counts one event stored by an append (a repeated append of a stored event is not counted).
    pub fn appended(&self) {
        self.appended.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts events returned by a pull.
    pub fn served(&self, events: usize) {
        self.served.fetch_add(events as u64, Ordering::Relaxed);
    }

    /// Counts a request refused by a rate limit.
    pub fn refused(&self, by: Refusal) {
        match by {
            Refusal::Ip => &self.refused_ip,
            Refusal::Device => &self.refused_device,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// Everything, in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let each = || {
            routes
                .iter()
                .flat_map(|(route, methods)| methods.iter().map(move |(m, r)| (m, route, r)))
        };
        out.push_str("# HELP hush_relay_requests_total Requests answered, by method, route template and status.\n");
        out.push_str("# TYPE hush_relay_requests_total counter\n");
        for (method, route, r) in each() {
            for (status, n) in &r.statuses {
                let _ = writeln!(
                    out,
                    "hush_relay_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    label(method),
                    label(route)
                );
            }
        }
        out.push_str("# HELP hush_relay_request_duration_seconds Time to answer a request (long-polls included), by method and route template.\n");
        out.push_str("# TYPE hush_relay_request_duration_seconds histogram\n");
        for (method, route, r) in each() {
            let h = &r.latency;
            let labels = format!("method=\"{}\",route=\"{}\"", label(method), label(route));
            let mut cumulative = 0;
            for (bound, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "hush_relay_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "hush_relay_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "hush_relay_request_duration_seconds_sum{{{labels}}} {}",
                h.sum_secs
            );
            let _ = writeln!(
                out,
                "hush_relay_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        drop(routes);
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            &mut out,
            "hush_relay_events_appended_total",
            "Events stored by appends (team creations included).",
            self.appended.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "hush_relay_events_served_total",
            "Events returned by pulls.",
            self.served.load(Ordering::Relaxed),
        );
        out.push_str(
            "# HELP hush_relay_rate_limited_total Requests refused by a rate limit, by limiter.\n",
        );
        out.push_str("# TYPE hush_relay_rate_limited_total counter\n");
        for (by, v) in [("ip", &self.refused_ip), ("device", &self.refused_device)] {
            let _ = writeln!(
                out,
                "hush_relay_rate_limited_total{{limiter=\"{by}\"}} {}",
                v.load(Ordering::Relaxed)
            );
        }
        out
    }
}

/// A label value with `\`, `"` and newlines escaped (route templates and methods never hold
/// them, but the format is kept whatever they hold).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.request(
            "GET",
            "/v1/teams/{team}/head",
            200,
            Duration::from_millis(3),
        );
        m.request(
            "GET",
            "/v1/teams/{team}/head",
            200,
            Duration::from_millis(40),
        );
        m.request(
            "POST",
            "/v1/teams/{team}/events",
            409,
            Duration::from_secs(60),
        );
        m.appended();
        m.served(7);
        m.refused(Refusal::Device);
        let text = m.render();
        let has = |line: &str| assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        has(
            r#"hush_relay_requests_total{method="GET",route="/v1/teams/{team}/head",status="200"} 2"#,
        );
        has(
            r#"hush_relay_requests_total{method="POST",route="/v1/teams/{team}/events",status="409"} 1"#,
        );
        has(
            r#"hush_relay_request_duration_seconds_bucket{method="GET",route="/v1/teams/{team}/head",le="0.005"} 1"#,
        );
        has(
            r#"hush_relay_request_duration_seconds_bucket{method="GET",route="/v1/teams/{team}/head",le="0.05"} 2"#,
        );
        has(
            r#"hush_relay_request_duration_seconds_bucket{method="GET",route="/v1/teams/{team}/head",le="+Inf"} 2"#,
        );
        // Slower than the last bound: only in +Inf.
        has(
            r#"hush_relay_request_duration_seconds_bucket{method="POST",route="/v1/teams/{team}/events",le="30"} 0"#,
        );
        has(
            r#"hush_relay_request_duration_seconds_bucket{method="POST",route="/v1/teams/{team}/events",le="+Inf"} 1"#,
        );
        has("hush_relay_events_appended_total 1");
        has("hush_relay_events_served_total 7");
        has(r#"hush_relay_rate_limited_total{limiter="device"} 1"#);
        has(r#"hush_relay_rate_limited_total{limiter="ip"} 0"#);
        // Every sample line is `name{labels} value` or `name value`, with a number for a value.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let v = l.rsplit_once(' ').map(|(_, v)| v).unwrap_or("");
            assert!(v.parse::<f64>().is_ok(), "{l}");
        }
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
