//! What the benchmark programs share: `--name VALUE` options and the JSON result lines.

/// The value after `name` on the command line, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Prints one result line: `{"metric": …, "value": …, "unit": …}` (value to 3 decimals).
pub fn metric(name: &str, value: f64, unit: &str) {
    println!(
        "{}",
        serde_json::json!({"metric": name, "value": (value * 1000.0).round() / 1000.0, "unit": unit})
    );
}
