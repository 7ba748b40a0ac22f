//! Scope strings: which resource each belongs to, and how Microsoft writes them back.

use std::fmt;

/// Outlook (Exchange Online) resource URIs accepted in scopes; the first is the default audience.
pub const OUTLOOK_HOSTS: [&str; 3] = [
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "https://ps.outlook.com",
];
pub const OUTLOOK_APP_AUDIENCE: &str = "https://outlook.office365.com";
pub const GRAPH_URI: &str = "https://graph.microsoft.com";
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";
const OIDC: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// An API that issues its own access tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Outlook,
    Graph,
}

impl Resource {
    /// `outlook`, `graph`, or a resource URI / app id.
    pub fn parse(text: &str) -> Option<Resource> {
        let text = text.trim_end_matches('/');
        if text.eq_ignore_ascii_case("outlook")
            || text.eq_ignore_ascii_case(EXCHANGE_APP_ID)
            || OUTLOOK_HOSTS.iter().any(|host| host.eq_ignore_ascii_case(text))
        {
            Some(Resource::Outlook)
        } else if text.eq_ignore_ascii_case("graph")
            || text.eq_ignore_ascii_case(GRAPH_APP_ID)
            || text.eq_ignore_ascii_case(GRAPH_URI)
        {
            Some(Resource::Graph)
        } else {
            None
        }
    }

    /// The resource URI a scope of this resource is written with by default.
    pub fn default_uri(self) -> &'static str {
        match self {
            Resource::Outlook => OUTLOOK_HOSTS[0],
            Resource::Graph => GRAPH_URI,
        }
    }

    pub fn app_id(self) -> &'static str {
        match self {
            Resource::Outlook => EXCHANGE_APP_ID,
            Resource::Graph => GRAPH_APP_ID,
        }
    }
}

/// One scope of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// openid, profile, email, offline_access.
    Oidc(String),
    /// A permission of a known API: `uri` is the resource URI as written (`https://outlook.office.com`).
    Api {
        resource: Resource,
        uri: String,
        name: String,
    },
    /// A permission of an API the emulator does not host.
    Foreign(String),
}

impl Scope {
    pub fn parse(text: &str) -> Scope {
        if OIDC.iter().any(|oidc| oidc.eq_ignore_ascii_case(text)) {
            return Scope::Oidc(text.to_ascii_lowercase());
        }
        if let Some((uri, name)) = split_uri(text) {
            return match Resource::parse(uri) {
                Some(resource) => Scope::Api {
                    resource,
                    uri: uri.to_string(),
                    name: name.to_string(),
                },
                None => Scope::Foreign(text.to_string()),
            };
        }
        if text.contains("://") || text.contains(':') {
            return Scope::Foreign(text.to_string());
        }
        Scope::Api {
            resource: Resource::Graph,
            uri: GRAPH_URI.into(),
            name: text.to_string(),
        }
    }

    pub fn resource(&self) -> Option<Resource> {
        match self {
            Scope::Api { resource, .. } => Some(*resource),
            _ => None,
        }
    }

    /// The permission name without resource (`IMAP.AccessAsUser.All`, `User.Read`, `openid`).
    pub fn name(&self) -> &str {
        match self {
            Scope::Oidc(name) | Scope::Foreign(name) => name,
            Scope::Api { name, .. } => name,
        }
    }

    /// Whether only an admin may consent to this delegated permission (Entra's "Admin consent required: Yes"):
    /// the directory-wide Graph permissions.
    pub fn needs_admin(&self) -> bool {
        const ADMIN_ONLY: [&str; 5] = [
            "Application.Read.All",
            "Application.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ];
        matches!(self, Scope::Api { resource: Resource::Graph, name, .. }
            if ADMIN_ONLY.iter().any(|admin| admin.eq_ignore_ascii_case(name)))
    }

    pub fn is_default(&self) -> bool {
        matches!(self, Scope::Api { name, .. } if name == ".default")
    }

    /// Whether this scope and `other` name the same permission (resource URI aliases and case ignored).
    pub fn same_as(&self, other: &Scope) -> bool {
        match (self, other) {
            (Scope::Oidc(a), Scope::Oidc(b)) | (Scope::Foreign(a), Scope::Foreign(b)) => {
                a.eq_ignore_ascii_case(b)
            }
            (
                Scope::Api {
                    resource: ra,
                    name: na,
                    ..
                },
                Scope::Api {
                    resource: rb,
                    name: nb,
                    ..
                },
            ) => ra == rb && na.eq_ignore_ascii_case(nb),
            _ => false,
        }
    }
}

impl fmt::Display for Scope {
    /// As Microsoft writes it in a token response: Outlook scopes as full URIs, Graph ones short.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Oidc(name) | Scope::Foreign(name) => f.write_str(name),
            Scope::Api {
                resource: Resource::Graph,
                name,
                ..
            } => f.write_str(name),
            Scope::Api {
                resource: Resource::Outlook,
                uri,
                name,
            } => write!(f, "{uri}/{name}"),
        }
    }
}

fn split_uri(text: &str) -> Option<(&str, &str)> {
    if !text.starts_with("https://") && !text.starts_with("http://") && !text.starts_with("api://") {
        if let Some((app_id, name)) = text.split_once('/') {
            if uuid::Uuid::parse_str(app_id).is_ok() {
                return Some((app_id, name));
            }
        }
        return None;
    }
    let scheme_end = text.find("://")? + 3;
    let slash = text[scheme_end..].find('/')? + scheme_end;
    Some((&text[..slash], &text[slash + 1..]))
}

/// Parses a space-separated scope parameter.
pub fn parse_list(text: &str) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = Vec::new();
    for scope in text.split_whitespace().map(Scope::parse) {
        if !scopes.iter().any(|seen| seen.same_as(&scope)) {
            scopes.push(scope);
        }
    }
    scopes
}

/// The resources a scope list names, in order of first appearance.
pub fn resources(scopes: &[Scope]) -> Vec<Resource> {
    let mut found = Vec::new();
    for resource in scopes.iter().filter_map(Scope::resource) {
        if !found.contains(&resource) {
            found.push(resource);
        }
    }
    found
}

/// Whether `list` contains a scope with this OIDC name.
pub fn has_oidc(list: &[Scope], name: &str) -> bool {
    list.iter()
        .any(|scope| matches!(scope, Scope::Oidc(n) if n == name))
}

/// Joins scopes the way a token response's `scope` field does.
pub fn join(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_sorted_by_resource() {
        let list = parse_list(
            "https://outlook.office.com/IMAP.AccessAsUser.All offline_access User.Read \
             https://graph.microsoft.com/Mail.Send https://outlook.office365.com/.default api://x/y",
        );
        assert_eq!(list.len(), 6);
        assert_eq!(list[0].resource(), Some(Resource::Outlook));
        assert!(matches!(&list[1], Scope::Oidc(name) if name == "offline_access"));
        assert_eq!(list[2].resource(), Some(Resource::Graph));
        assert_eq!(list[3].to_string(), "Mail.Send");
        assert!(list[4].is_default());
        assert!(matches!(list[5], Scope::Foreign(_)));
        assert_eq!(resources(&list), vec![Resource::Outlook, Resource::Graph]);
        assert_eq!(
            list[0].to_string(),
            "https://outlook.office.com/IMAP.AccessAsUser.All"
        );
    }

    #[test]
    fn aliases_of_one_permission_are_the_same() {
        let a = Scope::parse("https://outlook.office.com/SMTP.Send");
        let b = Scope::parse("https://outlook.office365.com/smtp.send");
        assert!(a.same_as(&b));
        assert!(Scope::parse("User.Read").same_as(&Scope::parse("https://graph.microsoft.com/User.Read")));
    }
}
