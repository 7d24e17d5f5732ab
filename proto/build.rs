fn main() -> Result<(), Box<dyn std::error::Error>> {
    // No system protoc needed: use the vendored one unless PROTOC is set.
    if std::env::var_os("PROTOC").is_none() {
        // SAFETY: build scripts are single-threaded at this point.
        unsafe { std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?) };
    }
    println!("cargo:rerun-if-changed=stakepoold.proto");
    tonic_prost_build::compile_protos("stakepoold.proto")?;
    Ok(())
}
