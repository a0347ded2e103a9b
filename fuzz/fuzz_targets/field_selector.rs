#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kube_sa_fuzz::field_selector(data));
