//! The built-in demo scenario, `Seed::demo()`, and the names tests use to reach into it.

use std::collections::BTreeMap;

use uuid::{uuid, Uuid};

use super::seed::{
    AppRegistration, ClientKind, ClientSecret, Mailbox, Message, Seed, SignInAudience, Tenant, Timestamp,
    User,
};

/// Tenant "Contoso" (contoso.example).
pub const TENANT_ID: Uuid = uuid!("3f8a2c1e-5b7d-4e9f-a1c3-6d2e8b4f0a17");
pub const TENANT_DOMAIN: &str = "contoso.example";

/// Work account; signs in without a page when named in `login_hint`.
pub const ADELE: &str = "adele@contoso.example";
/// Work account that signs in through the form (no auto-approval).
pub const MEGAN: &str = "megan@contoso.example";
/// Personal Microsoft account (tenant consumers), auto-approved.
pub const CONSUMER: &str = "pat@outlook.example";
/// Shared mailbox; Adele has FullAccess, and so does the confidential app's service principal.
pub const SHARED_MAILBOX: &str = "sales@contoso.example";

/// Public client "Mailgrant Desktop": redirect URIs [`PUBLIC_REDIRECTS`], public client flows allowed,
/// work and personal accounts.
pub const PUBLIC_CLIENT_ID: &str = "8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e";
pub const PUBLIC_REDIRECTS: [&str; 3] = [
    "http://localhost",
    "mailgrant://auth",
    "https://login.microsoftonline.com/common/oauth2/nativeclient",
];

/// Confidential client "Mailgrant Service" (single tenant), admin-consented for IMAP/POP/SMTP app access and
/// Graph Application.Read.All, Mail.Read, Mail.Send.
pub const CONFIDENTIAL_CLIENT_ID: &str = "5e0c7d41-2a9b-4f38-b6e1-c4a7f2d90b85";
pub const CONFIDENTIAL_REDIRECT: &str = "https://app.contoso.example/auth/callback";
/// The valid secret's value, and its "Secret ID".
pub const SECRET_VALUE: &str = "Xk58Q~validDemoSecretValue.0123456789abcd";
pub const SECRET_ID: Uuid = uuid!("0a7f6e3b-1c2d-4e5f-9a8b-7c6d5e4f3a2b");
/// A secret that expired yesterday.
pub const EXPIRED_SECRET_VALUE: &str = "Qw71Q~expiredDemoSecretValue.0123456789ab";
pub const EXPIRED_SECRET_ID: Uuid = uuid!("6b5a4c3d-2e1f-4a9b-8c7d-6e5f4a3b2c1d");

pub(crate) fn seed() -> Seed {
    let outlook = |scope: &str| format!("https://outlook.office.com/{scope}");
    let exchange = |role: &str| format!("https://outlook.office365.com/{role}");
    let users = vec![
        User {
            given_name: Some("Adele".into()),
            surname: Some("Vance".into()),
            job_title: Some("Retail Manager".into()),
            auto_approve: true,
            ..User::new(ADELE, "Adele Vance")
        },
        User {
            job_title: Some("Marketing Manager".into()),
            ..User::new(MEGAN, "Megan Bowen")
        },
        User {
            consumer: true,
            auto_approve: true,
            ..User::new(CONSUMER, "Pat Consumer")
        },
    ];
    let public = AppRegistration {
        redirect_uris: PUBLIC_REDIRECTS.iter().map(|uri| uri.to_string()).collect(),
        allow_public_client_flows: true,
        sign_in_audience: SignInAudience::AzureAdAndPersonalMicrosoftAccount,
        delegated_permissions: vec![
            outlook("IMAP.AccessAsUser.All"),
            outlook("POP.AccessAsUser.All"),
            outlook("SMTP.Send"),
            "User.Read".into(),
            "Mail.ReadWrite".into(),
            "Mail.Send".into(),
            "offline_access".into(),
        ],
        user_consents: BTreeMap::new(),
        ..AppRegistration::new(
            PUBLIC_CLIENT_ID,
            "Mailgrant Desktop",
            TENANT_DOMAIN,
            ClientKind::Public,
        )
    };
    let confidential = AppRegistration {
        redirect_uris: vec![CONFIDENTIAL_REDIRECT.into(), "http://localhost".into()],
        secrets: vec![
            ClientSecret {
                key_id: SECRET_ID,
                value: SECRET_VALUE.into(),
                display_name: "service (valid)".into(),
                hint: None,
                start: Timestamp::in_days(-30),
                end: Timestamp::in_days(335),
            },
            ClientSecret {
                key_id: EXPIRED_SECRET_ID,
                value: EXPIRED_SECRET_VALUE.into(),
                display_name: "service (expired)".into(),
                hint: None,
                start: Timestamp::in_days(-731),
                end: Timestamp::in_days(-1),
            },
        ],
        sign_in_audience: SignInAudience::AzureAdMyOrg,
        delegated_permissions: vec![outlook("IMAP.AccessAsUser.All"), "User.Read".into()],
        application_permissions: vec![
            exchange("IMAP.AccessAsApp"),
            exchange("POP.AccessAsApp"),
            exchange("SMTP.SendAsApp"),
            "Application.Read.All".into(),
            "Mail.Read".into(),
            "Mail.Send".into(),
        ],
        admin_consented: true,
        ..AppRegistration::new(
            CONFIDENTIAL_CLIENT_ID,
            "Mailgrant Service",
            TENANT_DOMAIN,
            ClientKind::Confidential,
        )
    };
    let adele_inbox = Mailbox {
        display_name: Some("Adele Vance".into()),
        messages: vec![
            Message::new(
                "megan@contoso.example",
                ADELE,
                "Quarterly numbers",
                "Here they are.",
            ),
            Message {
                read: true,
                ..Message::new(
                    "noreply@contoso.example",
                    ADELE,
                    "Welcome to Contoso",
                    "Hello Adele.",
                )
            },
        ],
        ..Mailbox::owned_by(ADELE)
    };
    let shared = Mailbox {
        display_name: Some("Contoso Sales".into()),
        apps: vec![CONFIDENTIAL_CLIENT_ID.into()],
        messages: vec![Message::new(
            "customer@fabrikam.example",
            SHARED_MAILBOX,
            "Order 1042",
            "Please ship.",
        )],
        ..Mailbox::shared(SHARED_MAILBOX, &[ADELE])
    };
    Seed {
        tenants: vec![Tenant::new(TENANT_ID, "Contoso", TENANT_DOMAIN)],
        users,
        apps: vec![public, confidential],
        mailboxes: vec![
            adele_inbox,
            Mailbox {
                display_name: Some("Megan Bowen".into()),
                ..Mailbox::owned_by(MEGAN)
            },
            Mailbox {
                display_name: Some("Pat Consumer".into()),
                // Outlook.com: POP and IMAP are off until the user turns them on; here they are on.
                ..Mailbox::owned_by(CONSUMER)
            },
            shared,
        ],
        ..Seed::default()
    }
}
