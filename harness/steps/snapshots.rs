//! Then: an object, or a remembered (requested) token, matches its recorded snapshot.

use cucumber::then;

use crate::failure::Failure;
use crate::objects::ObjectRef;
use crate::world::ConformanceWorld;

#[then(regex = r#"^(the .+) matches the snapshot$"#)]
async fn matches_snapshot(world: &mut ConformanceWorld, subject: String) -> Result<(), Failure> {
    let result = async {
        // A requested token: its decoded header and claims.
        if let Some(alias) = subject
            .strip_prefix("the remembered token \"")
            .and_then(|rest| rest.strip_suffix('"'))
        {
            let token = world.expand(&format!("${{{alias}}}"))?;
            return crate::snapshots::assert_token_snapshot(world, alias, &token).await;
        }
        let subject: ObjectRef = subject.parse()?;
        let resolved = world.resolve(&subject).await?;
        let object = world
            .fetch(resolved.kind, resolved.namespace.as_deref(), &resolved.name)
            .await?
            .ok_or_else(|| Failure::new(format!("{} does not exist", resolved.describe(world))))?;
        crate::snapshots::assert_snapshot(world, resolved.kind, &resolved.logical_name, object)
            .await
    }
    .await;
    world.diagnose(result).await
}
