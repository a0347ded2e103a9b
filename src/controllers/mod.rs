//! Controllers: token controller and service-account controller.
