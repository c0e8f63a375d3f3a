//! The `thresher.v1` contract as Rust types: prost messages, the tonic client and server,
//! proto3 JSON (serde) impls, and the encoded descriptor set for server reflection.
//!
//! Generated code only. Conversions to and from engine types live in `thresher-server`.

#![allow(clippy::all, missing_docs)]

/// The `thresher.v1` package.
pub mod v1 {
    tonic::include_proto!("thresher.v1");
    include!(concat!(env!("OUT_DIR"), "/thresher.v1.serde.rs"));
}

/// Encoded `FileDescriptorSet` of every file in `proto/`, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("thresher_descriptor");
