use super::*;

fn prefs(address: &str, bits: u32) -> pb::UserVotingPrefs {
    pb::UserVotingPrefs {
        user_id: 1,
        multisig_address: address.into(),
        vote_bits: bits,
        vote_bits_version: 10,
    }
}

fn knows(scripts: &[&str], tickets: &[&str], unhealthy: Option<&str>) -> Knowledge {
    Knowledge {
        unhealthy: unhealthy.map(str::to_owned),
        best_height: 300,
        scripts: scripts.iter().map(|s| s.to_string()).collect(),
        prefs: scripts
            .iter()
            .map(|s| (s.to_string(), prefs(s, 1)))
            .collect(),
        added: tickets
            .iter()
            .map(|h| {
                (
                    h.to_string(),
                    pb::Ticket {
                        hash: h.to_string(),
                        multisig_address: String::new(),
                    },
                )
            })
            .collect(),
    }
}

fn names() -> Vec<String> {
    ["voting1", "voting2", "voting3"].map(String::from).to_vec()
}

#[test]
fn a_rebuilt_host_gets_everything_from_the_best_healthy_peer() {
    let survey = vec![
        Ok(knows(&["Sa"], &[], None)),
        Ok(knows(&["Sa", "Sb"], &["t1"], None)),
        Err("stakepoold's gRPC port 19560 does not answer".into()),
    ];
    let plans = plan_restores(&names(), &survey, &[false, false, true]);
    assert_eq!(
        plans[2],
        Some(RestorePlan {
            from: Some("voting2".into()),
            what: "2 user scripts, 2 voting preferences, 1 admin-added low-fee ticket".into(),
            host_known: false,
            peers: Vec::new(),
        })
    );
    // voting1 lacks Sb and t1 that healthy voting2 holds; voting2 lacks nothing.
    assert_eq!(plans[1], None);
    assert_eq!(
        plans[0].as_ref().map(|p| p.what.as_str()),
        Some("1 user script, 1 voting preference, 1 admin-added low-fee ticket")
    );
    // A silent host whose wallet exists (its stakepoold is merely down): no restore.
    let plans = plan_restores(&names(), &survey, &[false; 3]);
    assert_eq!(plans[2], None);
}

#[test]
fn after_the_restore_nothing_is_planned() {
    let k = knows(&["Sa", "Sb"], &["t1"], None);
    let survey = vec![Ok(k.clone()), Ok(k.clone()), Ok(k)];
    assert_eq!(
        plan_restores(&names(), &survey, &[false; 3]),
        [None, None, None]
    );
    // Values that differ are the web service's business, not a restore.
    let mut other = knows(&["Sa", "Sb"], &["t1"], None);
    other.prefs.insert("Sa".into(), prefs("Sa", 5));
    let survey = vec![Ok(other), Ok(knows(&["Sa", "Sb"], &["t1"], None))];
    assert_eq!(
        plan_restores(&names()[..2], &survey, &[false; 2]),
        [None, None]
    );
}

#[test]
fn unhealthy_peers_are_never_copied_from() {
    let survey = vec![
        Ok(knows(&["Sa", "Sb"], &[], Some("exccwallet is locked"))),
        Err("unreachable".into()),
        Err("not running".into()),
    ];
    let plans = plan_restores(&names(), &survey, &[false, false, true]);
    let p = plans[2].as_ref().expect("planned");
    assert_eq!(p.from, None);
    assert_eq!(
        p.peers,
        ["voting1: exccwallet is locked", "voting2: unreachable"]
    );
    // With a healthy peer that holds nothing more, the unhealthy one's extras do not count.
    let survey = vec![
        Ok(knows(&["Sa", "Sb"], &[], Some("exccwallet is locked"))),
        Ok(knows(&["Sa"], &[], None)),
        Ok(knows(&["Sa"], &[], None)),
    ];
    assert_eq!(
        choose(2, survey[2].as_ref().unwrap(), &names(), &survey),
        Choice::Nothing
    );
}

#[test]
fn the_error_without_a_healthy_peer_says_what_to_do() {
    let e = RestoreError::NoHealthyPeer {
        host: "voting3".into(),
        missing: "2 user scripts, 2 voting preferences, 0 admin-added low-fee tickets".into(),
        peers: vec![
            "voting1: exccwallet is locked".into(),
            "voting2: unreachable".into(),
        ],
    }
    .to_string();
    assert!(
        e.starts_with("voting3: restore: it lacks 2 user scripts")
            && e.contains("voting1: exccwallet is locked; voting2: unreachable")
            && e.contains("run `poolctl apply` again"),
        "{e}"
    );
}
