//! Steps for the token-controller, service-account-controller and token features:
//! clusters with other service-account settings (embedded only), a refused update,
//! arbitrary bearer texts, and the user a token authenticates as with lists in order.

use std::sync::Arc;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use kube::api::{Patch, PatchParams};
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use kube_sa::serviceaccount::{PublicKey, SigningKey};

use super::doc_string;
use crate::backends::{config_from_kubeconfig_yaml, ScenarioCluster};
use crate::failure::{ensure, Failure};
use crate::matching::MatchOptions;
use crate::objects::{parse_document, Kind, ObjectRef};
use crate::timing::{default_deadline, with_deadline};
use crate::world::{ApiFailure, ConformanceWorld, INITIAL_NAMESPACES};

/// A key the settings table can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeySpec {
    Rsa(usize),
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
}

const KEY_FORMS: &str = "RSA 2048, RSA 3072, RSA 4096, ECDSA P-256, ECDSA P-384 or ECDSA P-521";

impl KeySpec {
    pub(super) fn parse(text: &str) -> Result<Self, Failure> {
        match text.trim() {
            "RSA 2048" => Ok(Self::Rsa(2048)),
            "RSA 3072" => Ok(Self::Rsa(3072)),
            "RSA 4096" => Ok(Self::Rsa(4096)),
            "ECDSA P-256" => Ok(Self::EcdsaP256),
            "ECDSA P-384" => Ok(Self::EcdsaP384),
            "ECDSA P-521" => Ok(Self::EcdsaP521),
            other => Err(Failure::new(format!(
                "unknown key {other:?}; write {KEY_FORMS}"
            ))),
        }
    }

    /// A fresh key; RSA generation is CPU-heavy, so it runs off the async workers.
    pub(super) async fn generate(self) -> Result<SigningKey, Failure> {
        tokio::task::spawn_blocking(move || self.generate_now())
            .await
            .map_err(|e| Failure::new(format!("generating a {self:?} key: {e}")))?
    }

    fn generate_now(self) -> Result<SigningKey, Failure> {
        use aws_lc_rs::signature::{
            EcdsaKeyPair, ECDSA_P384_SHA384_FIXED_SIGNING, ECDSA_P521_SHA512_FIXED_SIGNING,
        };
        let failed =
            |e: &dyn std::fmt::Display| Failure::new(format!("generating a {self:?} key: {e}"));
        let ecdsa = |algorithm| -> Result<SigningKey, Failure> {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(algorithm, &rng).map_err(|e| failed(&e))?;
            SigningKey::from_der(pkcs8.as_ref()).map_err(|e| failed(&e))
        };
        match self {
            Self::Rsa(bits) => SigningKey::generate_rsa(bits).map_err(|e| failed(&e)),
            Self::EcdsaP256 => SigningKey::generate_ecdsa_p256().map_err(|e| failed(&e)),
            Self::EcdsaP384 => ecdsa(&ECDSA_P384_SHA384_FIXED_SIGNING),
            Self::EcdsaP521 => ecdsa(&ECDSA_P521_SHA512_FIXED_SIGNING),
        }
    }
}

/// One entry of the `verification keys` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VerificationKey {
    Signing,
    Another(KeySpec),
}

impl VerificationKey {
    fn parse(text: &str) -> Result<Self, Failure> {
        let text = text.trim();
        if text == "the signing key" {
            return Ok(Self::Signing);
        }
        let spec = text
            .strip_prefix("another ")
            .and_then(|rest| rest.strip_suffix(" key"))
            .ok_or_else(|| {
                Failure::new(format!(
                    "unknown verification key {text:?}; write `the signing key` or `another <key> key` with <key> one of {KEY_FORMS}"
                ))
            })?;
        Ok(Self::Another(KeySpec::parse(spec)?))
    }
}

/// What the settings table asks of the cluster.
#[derive(Debug, Default)]
struct Settings {
    signing_key: Option<KeySpec>,
    verification_keys: Vec<VerificationKey>,
    lookup: Option<bool>,
    no_root_ca: bool,
    mode: Option<kube_sa::Mode>,
    max_token_expiration: Option<u64>,
}

const SETTING_FORMS: &str = "`signing key`, `verification keys`, `token lookup` (on/off), `root CA in token secrets` (the cluster CA/none), `mode` (legacy/bound), `max token expiration` (seconds)";

impl Settings {
    fn parse(step: &Step) -> Result<Self, Failure> {
        let table = step.table.as_ref().ok_or_else(|| {
            Failure::new(format!(
                "this step needs a two-column table below it; settings: {SETTING_FORMS}"
            ))
        })?;
        let mut settings = Self::default();
        for row in &table.rows {
            let [setting, value] = row.as_slice() else {
                return Err(Failure::new(format!(
                    "each row needs two cells (setting | value), got {row:?}"
                )));
            };
            match setting.trim() {
                "signing key" => settings.signing_key = Some(KeySpec::parse(value)?),
                "verification keys" => {
                    settings.verification_keys = value
                        .split(',')
                        .map(VerificationKey::parse)
                        .collect::<Result<_, _>>()?
                }
                "token lookup" => {
                    settings.lookup = Some(match value.trim() {
                        "on" => true,
                        "off" => false,
                        other => {
                            return Err(Failure::new(format!(
                                "token lookup is `on` or `off`, not {other:?}"
                            )))
                        }
                    })
                }
                "root CA in token secrets" => {
                    settings.no_root_ca = match value.trim() {
                        "none" => true,
                        "the cluster CA" => false,
                        other => {
                            return Err(Failure::new(format!(
                            "root CA in token secrets is `the cluster CA` or `none`, not {other:?}"
                        )))
                        }
                    }
                }
                "mode" => {
                    settings.mode =
                        Some(value.trim().parse().map_err(|e| {
                            Failure::new(format!("mode is `legacy` or `bound`: {e}"))
                        })?)
                }
                "max token expiration" => {
                    settings.max_token_expiration = Some(value.trim().parse().map_err(|e| {
                        Failure::new(format!("max token expiration is whole seconds: {e}"))
                    })?)
                }
                other => {
                    return Err(Failure::new(format!(
                        "unknown setting {other:?}; known: {SETTING_FORMS}"
                    )))
                }
            }
        }
        Ok(settings)
    }

    async fn options(&self) -> Result<ServiceAccountOptions, Failure> {
        let signing_key = match self.signing_key {
            Some(spec) => spec.generate().await?,
            None => KeySpec::EcdsaP256.generate().await?,
        };
        let mut verification_keys = Vec::new();
        for key in &self.verification_keys {
            verification_keys.push(match key {
                VerificationKey::Signing => signing_key.public_key().clone(),
                VerificationKey::Another(spec) => spec.generate().await?.public_key().clone(),
            });
        }
        let mut options = ServiceAccountOptions {
            signing_key: Some(Arc::new(signing_key)),
            verification_keys,
            ..ServiceAccountOptions::default()
        };
        if let Some(lookup) = self.lookup {
            options.lookup = lookup;
        }
        if let Some(mode) = self.mode {
            options.mode = mode;
        }
        if let Some(seconds) = self.max_token_expiration {
            options.issuer.max_token_expiration = Some(std::time::Duration::from_secs(seconds));
        }
        if self.no_root_ca {
            // An empty bundle: the token controller writes no `ca.crt`.
            options.root_ca = Some(Vec::new());
        }
        Ok(options)
    }
}

/// Replaces the scenario's embedded cluster by one started with `options`. Only as the
/// scenario's first step: nothing the scenario made would survive.
async fn restart_cluster(
    world: &mut ConformanceWorld,
    options: ServiceAccountOptions,
) -> Result<(), Failure> {
    let cluster = world.cluster()?;
    if cluster.server.is_none() {
        return Err(Failure::new(
            "a cluster with its own service-account settings needs the embedded backend: tag the scenario @embedded-only",
        ));
    }
    let api = world.api(Kind::Namespace, None)?;
    let namespaces = with_deadline("LIST namespaces", default_deadline(), async {
        api.list(&Default::default())
            .await
            .map_err(|e| Failure::new(format!("LIST namespaces: {e}")))
    })
    .await?;
    let begun = namespaces
        .items
        .iter()
        .filter_map(|ns| ns.metadata.name.as_deref())
        .any(|name| !INITIAL_NAMESPACES.contains(&name));
    ensure(
        !begun && world.remembered.is_empty() && world.last_outcome.is_none(),
        || {
            "start the cluster with its settings as the scenario's first step (no Background that creates objects): the scenario has created objects already".to_string()
        },
    )?;

    let public_keys = options.verification_keys.clone();
    let server = ApiServer::builder()
        .service_accounts(options)
        // As the embedded backend: no token cache in bound mode's scenarios.
        .token_cache_ttl(std::time::Duration::ZERO)
        .start()
        .await
        .map_err(|e| Failure::new(format!("starting the embedded cluster: {e}")))?;
    let public_keys: Vec<PublicKey> = if public_keys.is_empty() {
        server
            .signing_key()
            .map(|key| vec![key.public_key().clone()])
            .unwrap_or_default()
    } else {
        public_keys
    };
    let config = config_from_kubeconfig_yaml(server.kubeconfig_yaml()).await?;
    let client = kube::Client::try_from(config.clone())
        .map_err(|e| Failure::new(format!("building a client: {e}")))?;
    if let Some(old) = world.cluster.take().and_then(|cluster| cluster.server) {
        old.shutdown().await;
    }
    world.cluster = Some(ScenarioCluster {
        client,
        config,
        server: Some(server),
        public_keys,
        unique_namespaces: false,
        denial_prefix: None,
        _keep_alive: None,
    });
    Ok(())
}

#[given(regex = r#"^a cluster started with these service-account settings:$"#)]
async fn cluster_with_settings(world: &mut ConformanceWorld, step: &Step) -> Result<(), Failure> {
    let result = async {
        let options = Settings::parse(step)?.options().await?;
        restart_cluster(world, options).await
    }
    .await;
    world.diagnose(result).await
}

#[given(regex = r#"^a cluster started with this service-account signing key:$"#)]
async fn cluster_with_signing_key(
    world: &mut ConformanceWorld,
    step: &Step,
) -> Result<(), Failure> {
    let result = async {
        let pem = doc_string(world, step)?;
        let key = SigningKey::from_pem(pem.as_bytes())
            .map_err(|e| Failure::new(format!("the cluster cannot use this signing key: {e}")))?;
        let options = ServiceAccountOptions {
            signing_key: Some(Arc::new(key)),
            ..ServiceAccountOptions::default()
        };
        restart_cluster(world, options).await
    }
    .await;
    world.diagnose(result).await
}

#[when(regex = r#"^I try to patch (the .+) with:$"#)]
async fn try_patch(
    world: &mut ConformanceWorld,
    step: &Step,
    subject: String,
) -> Result<(), Failure> {
    let result = async {
        let subject: ObjectRef = subject.parse()?;
        let mut patch = parse_document(&doc_string(world, step)?)?;
        super::real_subjects(world, &mut patch)?;
        let resolved = world.resolve(&subject).await?;
        let api = world.api(resolved.kind, resolved.namespace.as_deref())?;
        let what = format!("PATCH {}", resolved.describe(world));
        with_deadline(&what, default_deadline(), async {
            match api
                .patch(
                    &resolved.name,
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await
            {
                Ok(patched) => Ok(Ok(
                    serde_json::to_value(patched).map_err(|e| Failure::new(e.to_string()))?
                )),
                Err(error) => Ok(Err(ApiFailure::from_error(error, &what)?)),
            }
        })
        .await
    }
    .await;
    let outcome = world.diagnose(result).await?;
    world.last_outcome = Some(outcome);
    Ok(())
}

#[given(regex = r#"^I remember the text "([^"]*)" as "([^"]*)"$"#)]
async fn remember_text(
    world: &mut ConformanceWorld,
    text: String,
    alias: String,
) -> Result<(), Failure> {
    let text = world.expand(&text)?;
    world.remembered.insert(alias, text);
    Ok(())
}

#[then(regex = r#"^(the .+?) authenticates as, with lists in order:$"#)]
async fn authenticates_as_in_order(
    world: &mut ConformanceWorld,
    step: &Step,
    subject: String,
) -> Result<(), Failure> {
    let result = super::tokens::check_user(
        world,
        step,
        &subject,
        MatchOptions::IN_ORDER,
        " (lists compared in order)",
    )
    .await;
    world.diagnose(result).await
}
