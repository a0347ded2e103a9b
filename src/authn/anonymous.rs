//! The anonymous user: who a request without credentials is, when the server allows it
//! (kube-apiserver's `--anonymous-auth`, default true). Follows
//! k8s.io/apiserver/pkg/authentication/request/anonymous/anonymous.go; authorization then
//! decides what that user may do (upstream's bootstrap policy binds only
//! `system:public-info-viewer` to its group).

use super::UserInfo;

/// The anonymous user's name (upstream's `user.Anonymous`).
pub const ANONYMOUS_USER: &str = "system:anonymous";

/// The group of every unauthenticated request (upstream's `user.AllUnauthenticated`).
pub const UNAUTHENTICATED_GROUP: &str = "system:unauthenticated";

/// `system:anonymous` in `system:unauthenticated`, with no uid and no extra attributes.
pub fn anonymous_user() -> UserInfo {
    UserInfo {
        username: ANONYMOUS_USER.to_string(),
        groups: vec![UNAUTHENTICATED_GROUP.to_string()],
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anonymous_user_is_only_unauthenticated() {
        let user = anonymous_user();
        assert_eq!(user.username, "system:anonymous");
        assert_eq!(user.groups, ["system:unauthenticated"]);
        assert!(user.uid.is_empty() && user.extra.is_empty());
        assert!(!user.is_admin());
    }
}
