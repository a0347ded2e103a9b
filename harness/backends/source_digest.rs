//! Whether the `kube-sa:dev` image was built from this checkout: `ci/image/build.sh` labels
//! the image with a digest of the sources the binary is built from, and the container
//! backends compare it with the same digest of the working tree. Without the check a stale
//! image left on a developer's engine would be tested in place of the code at hand.

use std::path::{Path, PathBuf};

/// The image label `ci/image/build.sh` writes.
pub const LABEL: &str = "dev.kube-sa.source-digest";

/// The files the binary is built from, relative to the package root: the manifest, the
/// lock file and everything under `src/`.
fn inputs(root: &Path) -> std::io::Result<Vec<String>> {
    let mut files = vec!["Cargo.toml".to_string(), "Cargo.lock".to_string()];
    let mut pending: Vec<PathBuf> = vec![root.join("src")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                files.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    // Byte order, as `LC_ALL=C sort` orders them in build.sh.
    files.sort_unstable();
    Ok(files)
}

/// The hex SHA-256 of each input's relative path, a NUL byte and its contents, in byte
/// order of the paths: what build.sh computes with
/// `printf '%s\0' "$f"; cat "$f"` over the same list, piped to `sha256sum`.
pub fn source_digest(root: &Path) -> std::io::Result<String> {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for file in inputs(root)? {
        context.update(file.as_bytes());
        context.update(&[0]);
        context.update(&std::fs::read(root.join(&file))?);
    }
    Ok(context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// `Err` with what to do when `label` (the image's, if any) is not this checkout's digest.
pub fn check(image: &str, label: Option<&str>) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = source_digest(root).map_err(|e| format!("reading the sources failed: {e}"))?;
    match label {
        Some(theirs) if theirs == ours => Ok(()),
        Some(theirs) => Err(format!(
            "image {image} was built from other sources than this checkout's (its {LABEL} is {theirs}, \
             the checkout's {ours}): rebuild it with `ci/image/build.sh {image}` \
             (`KUBE_SA_IMAGE_PROFILE=debug` builds it from the debug binary), or tag it under \
             another name and pass that in KUBE_SA_CONTAINER_IMAGE to test it as it is"
        )),
        None => Err(format!(
            "image {image} has no {LABEL} label, so it was not built by this checkout's \
             ci/image/build.sh: rebuild it with `ci/image/build.sh {image}`, or tag it under \
             another name and pass that in KUBE_SA_CONTAINER_IMAGE to test it as it is"
        )),
    }
}
