//! Compiles `proto/` with protox (pure Rust, no protoc needed) and generates the prost
//! messages, the tonic client and server, and proto3 JSON (serde) impls with pbjson.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [root.join("thresher/v1/thresher.proto"), root.join("thresher/v1/admin.proto")];
    println!("cargo:rerun-if-changed={}", root.display());

    let fds = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptor_path = out.join("thresher_descriptor.bin");
    std::fs::write(&descriptor_path, fds.encode_to_vec())?;

    // Well-known types (Timestamp, Duration) come from pbjson-types, which carries their proto3
    // JSON forms ("2024-05-01T12:00:00Z", "1.5s") that grpcurl and other clients expect.
    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor_path)
        .skip_protoc_run()
        .compile_well_known_types(true)
        .extern_path(".google.protobuf", "::pbjson_types")
        .compile_fds(fds)?;

    let descriptors = std::fs::read(&descriptor_path)?;
    pbjson_build::Builder::new().register_descriptors(&descriptors)?.build(&[".thresher.v1"])?;
    Ok(())
}
