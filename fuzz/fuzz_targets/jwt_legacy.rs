#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kube_sa_fuzz::jwt_legacy(data));
