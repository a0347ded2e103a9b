//! The embedded cluster in a container image: a later issue.

use crate::failure::Failure;

pub fn not_implemented() -> Failure {
    Failure::new(
        "--cluster container is not implemented yet (it will run `kube-sa serve` in an image through testcontainers); \
         use --cluster embedded (default), kubeconfig or kind",
    )
}
