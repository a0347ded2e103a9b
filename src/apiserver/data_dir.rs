//! The data directory of `kube-sa serve --data-dir DIR`: what a restart needs besides the
//! objects, so that old kubeconfigs and tokens still work.
//!
//! | file | what |
//! |---|---|
//! | `store.redb` | the objects and the revision counter ([`super::store::durable`]) |
//! | `ca.crt`, `ca.key` | the cluster CA; the serving certificate is signed anew at each start |
//! | `admin-token` | the kubeconfig's bearer token |
//! | `sa.key` | the service-account signing key, when no flag names one |
//! | `fake-clock` | with `--clock=fake`, the fake clock's time (RFC 3339), written before each move |
//!
//! Each file is made once, on the first start, written atomically with mode 0600 in a
//! directory of mode 0700, and read back unchanged afterwards. Keys given on the command
//! line take precedence and are not copied here.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the data directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// A file or the directory could not be created, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A kept file does not hold what it should.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A kept file could not be made (key generation failed).
    #[error("generating {path}: {reason}")]
    Generate {
        /// The file to be made.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
}

/// An opened data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Opens `root`, creating it (mode 0700) when missing.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, DataDirError> {
        let root = root.into();
        let io = |source| DataDirError::Io {
            path: root.clone(),
            source,
        };
        std::fs::create_dir_all(&root).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        Ok(Self { root })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The object database, `DIR/store.redb`.
    pub fn store_path(&self) -> PathBuf {
        self.root.join("store.redb")
    }

    /// The text kept in `DIR/name`, made by `generate` and written on first use.
    pub fn kept<E: std::fmt::Display>(
        &self,
        name: &str,
        generate: impl FnOnce() -> Result<String, E>,
    ) -> Result<String, DataDirError> {
        let path = self.root.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => return Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(DataDirError::Io { path, source }),
        }
        let text = generate().map_err(|e| DataDirError::Generate {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomically(&path, text.as_bytes())
            .map_err(|source| DataDirError::Io { path, source })?;
        Ok(text)
    }
}

impl DataDir {
    /// The cluster CA kept in `ca.key` and `ca.crt`, made on the first start.
    pub fn cluster_ca(&self) -> Result<super::tls::ClusterCa, DataDirError> {
        use super::tls::ClusterCa;
        let mut fresh = None;
        let key_pem = self.kept("ca.key", || {
            let ca = ClusterCa::generate()?;
            let key = ca.key_pem.clone();
            fresh = Some(ca);
            Ok::<_, super::tls::TlsError>(key)
        })?;
        let cert_pem = self.kept("ca.crt", || match fresh.take() {
            Some(ca) => Ok(ca.cert_pem),
            None => ClusterCa::from_key(&key_pem).map(|ca| ca.cert_pem),
        })?;
        Ok(ClusterCa { cert_pem, key_pem })
    }

    /// The admin bearer token kept in `admin-token`, random on the first start.
    pub fn admin_token(&self, random: impl FnOnce() -> String) -> Result<String, DataDirError> {
        self.kept(
            "admin-token",
            || Ok::<_, std::convert::Infallible>(random()),
        )
    }

    /// The service-account signing key kept in `sa.key` (ECDSA P-256, PKCS#8), made on
    /// the first start.
    pub fn service_account_key(&self) -> Result<crate::serviceaccount::SigningKey, DataDirError> {
        let pem = self.kept("sa.key", || {
            rcgen::KeyPair::generate().map(|key| key.serialize_pem())
        })?;
        crate::serviceaccount::SigningKey::from_pem(pem.as_bytes()).map_err(|e| {
            DataDirError::Generate {
                path: self.root.join("sa.key"),
                reason: e.to_string(),
            }
        })
    }
}

impl DataDir {
    /// The fake clock's time kept by [`Self::keep_fake_clock_time`], if any.
    pub fn fake_clock_time(&self) -> Result<Option<jiff::Timestamp>, DataDirError> {
        let path = self.root.join(FAKE_CLOCK);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                text.trim()
                    .parse()
                    .map(Some)
                    .map_err(|e: jiff::Error| DataDirError::Corrupt {
                        path,
                        reason: format!("not an RFC 3339 time: {e}"),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(DataDirError::Io { path, source }),
        }
    }

    /// Keeps `now` as the fake clock's time (atomically, on disk before it returns).
    pub fn keep_fake_clock_time(&self, now: jiff::Timestamp) -> Result<(), DataDirError> {
        let path = self.root.join(FAKE_CLOCK);
        write_atomically(&path, format!("{now}\n").as_bytes())
            .map_err(|source| DataDirError::Io { path, source })
    }
}

/// The file of [`DataDir::keep_fake_clock_time`].
const FAKE_CLOCK: &str = "fake-clock";

/// Writes `path` through a temporary file, fsynced and renamed, mode 0600, then fsyncs
/// the directory: after a crash the file is there whole or not at all.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir, path)?;
    tmp.1.write_all(bytes)?;
    tmp.1.sync_all()?;
    std::fs::rename(&tmp.0, path)?;
    std::fs::File::open(dir)?.sync_all()
}

fn tempfile_in(dir: &Path, path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&tmp)?;
    Ok((tmp, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::open(dir.path().join("data")).expect("open");
        let first = data
            .kept("token", || Ok::<_, std::convert::Infallible>("one".into()))
            .expect("made");
        let second = data
            .kept("token", || Ok::<_, std::convert::Infallible>("two".into()))
            .expect("read");
        assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.root().join("token"))
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
