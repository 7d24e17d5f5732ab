//! The lab's network: one bridge in this machine's namespace, and per host a network
//! namespace whose `eth0` is a veth peer on the bridge. The hosts have no route off the
//! machine; this machine reaches them through the bridge address.

use std::net::Ipv4Addr;
use std::path::Path;

use super::LabError;
use super::system::{run, run_quiet};

/// The bridge.
pub const BRIDGE: &str = "excclab0";
/// The first three octets of the lab subnet (a /24).
pub const NET: [u8; 3] = [10, 231, 0];
/// Prefix of each host's network namespace (`excclab-voting1`).
pub const NETNS_PREFIX: &str = "excclab-";
/// Prefix of the host-side veth of each host (`excclab-v1`).
pub const VETH_PREFIX: &str = "excclab-v";

/// The bridge's address, the hosts' gateway: 10.231.0.1.
pub fn gateway() -> Ipv4Addr {
    Ipv4Addr::new(NET[0], NET[1], NET[2], 1)
}

/// The lab subnet in CIDR notation.
pub fn subnet() -> String {
    format!("{}.{}.{}.0/24", NET[0], NET[1], NET[2])
}

/// Host `index` (1-based) has 10.231.0.(10 + index).
pub fn host_address(index: u32) -> Ipv4Addr {
    Ipv4Addr::new(NET[0], NET[1], NET[2], (10 + index) as u8)
}

/// The network namespace of host `name`.
pub fn netns(name: &str) -> String {
    format!("{NETNS_PREFIX}{name}")
}

/// The host-side veth of host `index`.
pub fn veth(index: u32) -> String {
    format!("{VETH_PREFIX}{index}")
}

/// `/run/netns/NAME`, what systemd-nspawn joins.
pub fn netns_path(name: &str) -> String {
    format!("/run/netns/{}", netns(name))
}

fn link_exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}

/// The directory that owns the bridge (recorded in its alias), if the bridge exists.
pub fn bridge_owner() -> Option<String> {
    if !link_exists(BRIDGE) {
        return None;
    }
    let alias = std::fs::read_to_string(Path::new("/sys/class/net").join(BRIDGE).join("ifalias"))
        .unwrap_or_default();
    Some(alias.trim().to_owned())
}

/// Fails if another interface already has an address in the lab subnet.
pub async fn check_subnet_free() -> Result<(), LabError> {
    let out = run(
        "ip",
        &["-o", "-4", "addr", "show"],
        "check that iproute2 works",
    )
    .await?;
    let prefix = format!("{}.{}.{}.", NET[0], NET[1], NET[2]);
    for line in out.lines() {
        let mut words = line.split_whitespace();
        let _index = words.next();
        let iface = words.next().unwrap_or("").trim_end_matches(':');
        let addr = words.nth(1).unwrap_or("");
        if iface != BRIDGE && addr.starts_with(&prefix) {
            return Err(LabError::Conflict(format!(
                "the lab subnet {} is already used by {iface} ({addr}); remove that address or stop what set it up",
                subnet()
            )));
        }
    }
    Ok(())
}

/// Creates the bridge with the gateway address, recording `owner` (the lab directory) in
/// its alias. No-op if it exists.
pub async fn ensure_bridge(owner: &str) -> Result<(), LabError> {
    if link_exists(BRIDGE) {
        return Ok(());
    }
    let hint = "run `poolctl lab down` to clean up, then retry";
    let cidr = format!("{}/24", gateway());
    run("ip", &["link", "add", BRIDGE, "type", "bridge"], hint).await?;
    run("ip", &["link", "set", BRIDGE, "alias", owner], hint).await?;
    run("ip", &["addr", "add", &cidr, "dev", BRIDGE], hint).await?;
    run("ip", &["link", "set", BRIDGE, "up"], hint).await?;
    Ok(())
}

/// Creates host `index`'s namespace with `eth0` = its address, plugged into the bridge.
pub async fn add_host(name: &str, index: u32) -> Result<(), LabError> {
    let ns = netns(name);
    let veth = veth(index);
    let cidr = format!("{}/24", host_address(index));
    let hint = "run `poolctl lab down` to clean up, then retry";
    run("ip", &["netns", "add", &ns], hint).await?;
    run(
        "ip",
        &[
            "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns,
        ],
        hint,
    )
    .await?;
    run("ip", &["link", "set", &veth, "master", BRIDGE, "up"], hint).await?;
    run(
        "ip",
        &["-n", &ns, "addr", "add", &cidr, "dev", "eth0"],
        hint,
    )
    .await?;
    run("ip", &["-n", &ns, "link", "set", "eth0", "up"], hint).await?;
    run("ip", &["-n", &ns, "link", "set", "lo", "up"], hint).await?;
    // A host booted again at the same address has a new MAC: forget the old one, or
    // connections go to the vanished veth until the neighbour entry expires (~50 s).
    forget_neighbour(index).await;
    Ok(())
}

/// Drops this machine's ARP entry for host `index`.
pub async fn forget_neighbour(index: u32) {
    let addr = host_address(index).to_string();
    run_quiet("ip", &["neigh", "flush", "dev", BRIDGE, "to", &addr]).await;
}

/// All lab namespaces present on this machine (from `/run/netns`).
pub fn leftover_netns() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/run/netns")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(NETNS_PREFIX))
        .collect();
    names.sort();
    names
}

/// All lab veths left in this machine's namespace.
pub fn leftover_veths() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(VETH_PREFIX))
        .collect();
    names.sort();
    names
}

/// Deletes a namespace (its `eth0` goes with it, and so does the veth peer).
pub async fn delete_netns(ns: &str) -> Result<(), LabError> {
    if !Path::new("/run/netns").join(ns).exists() {
        return Ok(());
    }
    run(
        "ip",
        &["netns", "delete", ns],
        "check what still uses it with `ip netns pids`",
    )
    .await?;
    Ok(())
}

/// Deletes a leftover veth or the bridge.
pub async fn delete_link(name: &str) -> Result<(), LabError> {
    if !link_exists(name) {
        return Ok(());
    }
    if !run_quiet("ip", &["link", "delete", name]).await && link_exists(name) {
        return Err(LabError::Command {
            command: format!("ip link delete {name}"),
            cause: "the link is still there".to_owned(),
            hint: "delete it by hand".to_owned(),
        });
    }
    Ok(())
}

/// True when the bridge exists.
pub fn bridge_exists() -> bool {
    link_exists(BRIDGE)
}
