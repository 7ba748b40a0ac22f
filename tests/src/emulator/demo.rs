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
/// IT admin (Application Administrator): may consent to Graph `Application.Read.All`; auto-approved.
pub const IT_ADMIN: &str = "it@contoso.example";
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
/// (Demo values are shaped unlike real Entra secrets, so that no secret scanner takes them for one.)
pub const SECRET_VALUE: &str = "demo.valid-service-secret_0123456789abcdef";
pub const SECRET_ID: Uuid = uuid!("0a7f6e3b-1c2d-4e5f-9a8b-7c6d5e4f3a2b");
/// A secret that expired yesterday.
pub const EXPIRED_SECRET_VALUE: &str = "expired.demo-service-secret_0123456789abc";
pub const EXPIRED_SECRET_ID: Uuid = uuid!("6b5a4c3d-2e1f-4a9b-8c7d-6e5f4a3b2c1d");

/// Contoso registrations that Mailgrant does not sign in with, listed by Graph `/applications`.
pub const PAYROLL_CLIENT_ID: &str = "7a1e4c2b-3d5f-4e6a-9b8c-1d2e3f4a5b6c";
pub const INTRANET_CLIENT_ID: &str = "9b2f5d3c-4e6a-4f7b-8c9d-2e3f4a5b6c7d";

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
            job_title: Some("IT Administrator".into()),
            admin: true,
            auto_approve: true,
            ..User::new(IT_ADMIN, "Isaiah Langer")
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
    // Two more of Contoso's registrations, only for the directory (Graph `/applications`): one secret about to
    // expire and one expired next to its replacement.
    // Nobody signs in with these: their values are random.
    let secret = |key_id: Uuid, name: &str, days: i64| ClientSecret {
        key_id,
        value: Uuid::new_v4().simple().to_string(),
        display_name: name.into(),
        hint: None,
        start: Timestamp::in_days(days - 365),
        end: Timestamp::in_days(days),
    };
    let payroll = AppRegistration {
        secrets: vec![secret(
            uuid!("1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
            "sync job",
            5,
        )],
        sign_in_audience: SignInAudience::AzureAdMyOrg,
        ..AppRegistration::new(
            PAYROLL_CLIENT_ID,
            "Payroll Sync",
            TENANT_DOMAIN,
            ClientKind::Confidential,
        )
    };
    let intranet = AppRegistration {
        secrets: vec![
            secret(uuid!("2e3d4c5b-6f7a-4b8c-9d0e-1f2a3b4c5d6e"), "2025", -3),
            secret(uuid!("3f4e5d6c-7a8b-4c9d-8e1f-2a3b4c5d6e7f"), "2026", 200),
        ],
        sign_in_audience: SignInAudience::AzureAdMyOrg,
        ..AppRegistration::new(
            INTRANET_CLIENT_ID,
            "Intranet Portal",
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
        apps: vec![public, confidential, payroll, intranet],
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
