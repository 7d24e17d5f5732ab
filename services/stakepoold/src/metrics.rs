//! Prometheus metrics, rendered by hand in the text exposition format
//! (a handful of counters and one histogram need no metrics framework).

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::tickets::TicketCounts;

/// Upper bounds (seconds) of the vote-latency histogram buckets.
const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters of one stakepoold process.
#[derive(Default)]
pub struct Metrics {
    pub votes_cast: AtomicU64,
    pub votes_duplicate: AtomicU64,
    pub votes_failed: AtomicU64,
    pub rpc_errors_node: AtomicU64,
    pub rpc_errors_wallet: AtomicU64,
    /// Tickets that could not be classified (retried by a full scan).
    pub classify_errors: AtomicU64,
    /// Pool tickets exccd reported missed (`spentandmissedtickets`, or found
    /// missed after a gap in the notifications).
    pub pool_tickets_missed: AtomicU64,
    /// Winners this node gave up on while they could still be voted, by cause.
    not_voted: Mutex<std::collections::BTreeMap<&'static str, u64>>,
    latency: Mutex<Histogram>,
}

impl Metrics {
    /// Records the time from a `winningtickets` notification to one vote's `sendrawtransaction`.
    pub fn observe_vote_latency(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let mut h = self.latency.lock().expect("metrics lock");
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Counts a winning pool ticket that was not voted, by its cause.
    pub fn not_voted(&self, cause: &'static str) {
        *self
            .not_voted
            .lock()
            .expect("metrics lock")
            .entry(cause)
            .or_default() += 1;
    }

    /// The exposition text, with ticket counts taken by the caller.
    pub fn render(&self, tickets: TicketCounts) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            &mut out,
            "stakepoold_votes_cast_total",
            "Votes accepted by exccd.",
            self.votes_cast.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "stakepoold_votes_duplicate_total",
            "Votes another voting node had already sent.",
            self.votes_duplicate.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "stakepoold_votes_failed_total",
            "Votes that could not be generated or sent.",
            self.votes_failed.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "stakepoold_classify_errors_total",
            "Tickets that could not be classified (a full scan retries them).",
            self.classify_errors.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "stakepoold_pool_tickets_missed_total",
            "Pool tickets exccd reported missed.",
            self.pool_tickets_missed.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP stakepoold_winners_not_voted_total Winning pool tickets given up on, by cause.\n# TYPE stakepoold_winners_not_voted_total counter"
        );
        for (cause, n) in self.not_voted.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "stakepoold_winners_not_voted_total{{cause=\"{cause}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP stakepoold_rpc_errors_total JSON-RPC errors by target.\n# TYPE stakepoold_rpc_errors_total counter"
        );
        let _ = writeln!(
            out,
            "stakepoold_rpc_errors_total{{target=\"exccd\"}} {}",
            self.rpc_errors_node.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "stakepoold_rpc_errors_total{{target=\"exccwallet\"}} {}",
            self.rpc_errors_wallet.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP stakepoold_tickets Pool tickets by state.\n# TYPE stakepoold_tickets gauge"
        );
        for (state, n) in [
            ("live", tickets.live),
            ("ignored", tickets.ignored),
            ("added", tickets.added),
        ] {
            let _ = writeln!(out, "stakepoold_tickets{{state=\"{state}\"}} {n}");
        }
        let h = self.latency.lock().expect("metrics lock");
        let name = "stakepoold_vote_latency_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} From winningtickets to sendrawtransaction.\n# TYPE {name} histogram"
        );
        for (le, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {}\n{name}_sum {}\n{name}_count {}",
            h.count, h.sum, h.count
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.votes_cast.fetch_add(3, Ordering::Relaxed);
        m.not_voted("wallet_locked");
        m.not_voted("wallet_locked");
        m.observe_vote_latency(Duration::from_millis(7));
        m.observe_vote_latency(Duration::from_millis(300));
        let text = m.render(TicketCounts {
            live: 5,
            ignored: 1,
            added: 0,
        });
        assert!(text.contains("stakepoold_votes_cast_total 3"));
        assert!(text.contains("stakepoold_winners_not_voted_total{cause=\"wallet_locked\"} 2"));
        assert!(text.contains("stakepoold_tickets{state=\"live\"} 5"));
        assert!(text.contains("stakepoold_vote_latency_seconds_bucket{le=\"0.005\"} 0"));
        assert!(text.contains("stakepoold_vote_latency_seconds_bucket{le=\"0.01\"} 1"));
        assert!(text.contains("stakepoold_vote_latency_seconds_bucket{le=\"0.5\"} 2"));
        assert!(text.contains("stakepoold_vote_latency_seconds_count 2"));
    }
}
