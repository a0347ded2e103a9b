//! The webhooks of the stored configurations, parsed again only when a configuration
//! changes (upstream's configuration manager watches them through an informer), and the
//! clients they use, kept across such changes while a webhook's `clientConfig` stays the
//! same (upstream's `ClientManager` cache), so that connections stay pooled.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::client::HookClient;
use super::hook::{Hook, HookType};
use super::service::ServiceDirectory;
use crate::apiserver::kinds::ResourceInfo;
use crate::apiserver::store::Store;

/// More distinct client configurations than this and the cache starts over.
const MAX_CACHED_CLIENTS: usize = 512;

/// Clients by webhook name and `clientConfig`.
pub struct ClientCache {
    directory: Arc<dyn ServiceDirectory>,
    clients: Mutex<HashMap<String, Arc<HookClient>>>,
}

impl ClientCache {
    /// An empty cache whose clients resolve service references through `directory`.
    pub fn new(directory: Arc<dyn ServiceDirectory>) -> Self {
        Self {
            directory,
            clients: Mutex::default(),
        }
    }

    /// The client of webhook `name` with `config` (its `clientConfig`).
    pub fn client(&self, name: &str, config: &Value) -> Result<Arc<HookClient>, String> {
        let key = format!("{name}\n{config}");
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = Arc::new(HookClient::new(config, self.directory.clone())?);
        if clients.len() >= MAX_CACHED_CLIENTS {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// The parsed webhooks, and the revisions of the configurations they come from.
#[derive(Default)]
struct Parsed {
    revisions: Vec<u64>,
    hooks: Arc<Vec<Arc<Hook>>>,
}

/// The webhooks of one configuration kind, in upstream's order (configurations by name,
/// then each one's webhooks in order).
pub struct HookSource {
    store: Arc<Store>,
    resource: &'static ResourceInfo,
    hook_type: HookType,
    clients: Arc<ClientCache>,
    parsed: Mutex<Parsed>,
}

impl HookSource {
    /// The webhooks of the `resource` configurations in `store`.
    pub fn new(
        store: Arc<Store>,
        resource: &'static ResourceInfo,
        hook_type: HookType,
        clients: Arc<ClientCache>,
    ) -> Self {
        Self {
            store,
            resource,
            hook_type,
            clients,
            parsed: Mutex::default(),
        }
    }

    /// The current webhooks; parsed again only after a configuration changed.
    pub fn hooks(&self) -> Arc<Vec<Arc<Hook>>> {
        let (configurations, _) = self.store.list(self.resource, None);
        let revisions: Vec<u64> = configurations.iter().map(|c| c.revision()).collect();
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if parsed.revisions == revisions {
            return parsed.hooks.clone();
        }
        let mut hooks = Vec::new();
        for configuration in &configurations {
            let value = configuration.value();
            let webhooks = value["webhooks"].as_array().into_iter().flatten();
            for (index, hook) in webhooks.enumerate() {
                let name = hook["name"].as_str().unwrap_or_default();
                let client = self.clients.client(name, &hook["clientConfig"]);
                hooks.push(Arc::new(Hook::parse(
                    configuration.name(),
                    index,
                    hook,
                    self.hook_type,
                    client,
                )));
            }
        }
        *parsed = Parsed {
            revisions,
            hooks: Arc::new(hooks),
        };
        parsed.hooks.clone()
    }
}
