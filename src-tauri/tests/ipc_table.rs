//! The IPC command table for TypeScript, generated from the Rust signatures of the commands that
//! `generate_handler!` registers (in `lib.rs`): each command's name, its arguments as the webview passes them
//! (camelCase, without `State` or `AppHandle`) and what it resolves with. `cargo test` writes it beside the ts-rs
//! bindings (`ui/src/lib/ipc/bindings/commands.ts`) and CI's drift check covers it, so the UI's typed client
//! cannot call a command that does not exist or pass an argument of the wrong name or type.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use quote::ToTokens as _;

/// A Rust type as TypeScript, noting the generated bindings it needs.
fn ts(ty: &syn::Type, imports: &mut BTreeSet<String>) -> String {
    match ty {
        syn::Type::Reference(r) => ts(&r.elem, imports),
        syn::Type::Tuple(t) if t.elems.is_empty() => "void".into(),
        syn::Type::Path(p) => {
            let last = p.path.segments.last().expect("a type has a name");
            let name = last.ident.to_string();
            let args: Vec<&syn::Type> = match &last.arguments {
                syn::PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .filter_map(|g| match g {
                        syn::GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            match (name.as_str(), args.as_slice()) {
                ("String" | "str", []) => "string".into(),
                ("bool", []) => "boolean".into(),
                ("u8" | "u16" | "u32" | "u64" | "i32" | "i64" | "usize" | "f64", []) => "number".into(),
                ("Vec", [t]) => format!("Array<{}>", ts(t, imports)),
                ("Option", [t]) => format!("{} | null", ts(t, imports)),
                ("Result", [t, ..]) => ts(t, imports),
                ("Box", [t]) => ts(t, imports),
                ("Channel", [t]) => format!("Channel<{}>", ts(t, imports)),
                (_, []) => {
                    // Types whose TypeScript name differs from their Rust name.
                    let name = match name.as_str() {
                        "ApiError" => "IpcError".to_owned(),
                        _ => name,
                    };
                    imports.insert(name.clone());
                    name
                }
                _ => panic!("no TypeScript for {}", ty.to_token_stream()),
            }
        }
        other => panic!("no TypeScript for {}", other.to_token_stream()),
    }
}

/// `snake_case` → `camelCase`, as Tauri renames command arguments.
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn doc(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The paths `generate_handler!` registers, in order: `commands::app::app_info`, …
fn registered(src: &Path) -> Vec<Vec<String>> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let start = lib.find("generate_handler![").expect("lib.rs registers commands") + 18;
    let end = start + lib[start..].find(']').expect("the list ends");
    lib[start..end]
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.split("::").map(str::to_owned).collect())
        .collect()
}

fn command(src: &Path, path: &[String]) -> (String, syn::ItemFn) {
    let (name, modules) = path.split_last().expect("a command path");
    let file: PathBuf = src.join(modules.join("/")).with_extension("rs");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let function = parsed
        .items
        .into_iter()
        .find_map(|item| match item {
            syn::Item::Fn(f) if f.sig.ident == name => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fn {name} in {}", file.display()));
    assert!(
        function
            .attrs
            .iter()
            .any(|a| a.path().segments.iter().any(|s| s.ident == "command")),
        "{name} is registered but is not a #[tauri::command]"
    );
    (name.clone(), function)
}

/// The TypeScript of the table.
fn table(src: &Path) -> String {
    let mut imports = BTreeSet::new();
    let mut entries = String::new();
    for path in registered(src) {
        let (name, function) = command(src, &path);
        let mut args = Vec::new();
        for input in &function.sig.inputs {
            let syn::FnArg::Typed(arg) = input else { continue };
            let ty = arg.ty.to_token_stream().to_string();
            // What Tauri injects: not the webview's to pass.
            if ["State", "AppHandle", "Window", "WebviewWindow", "Webview"]
                .iter()
                .any(|injected| ty.starts_with(injected) || ty.contains(&format!(":: {injected}")))
            {
                continue;
            }
            let syn::Pat::Ident(ident) = arg.pat.as_ref() else {
                panic!("{name}: an argument without a plain name")
            };
            args.push(format!(
                "{}: {}",
                camel(&ident.ident.to_string()),
                ts(&arg.ty, &mut imports)
            ));
        }
        let returns = match &function.sig.output {
            syn::ReturnType::Default => "void".to_owned(),
            syn::ReturnType::Type(_, ty) => ts(ty, &mut imports),
        };
        let docs = doc(&function.attrs);
        if !docs.is_empty() {
            entries.push_str("  /**\n");
            for line in docs {
                entries.push_str(&format!("   * {line}\n").replace("   * \n", "   *\n"));
            }
            entries.push_str("   */\n");
        }
        let args = if args.is_empty() {
            "Record<string, never>".to_owned()
        } else {
            format!("{{ {} }}", args.join("; "))
        };
        entries.push_str(&format!("  {name}: {{ args: {args}; returns: {returns} }};\n"));
    }
    let mut out = String::from(
        "// Generated from the #[tauri::command] signatures by `cargo test` (src-tauri/tests/ipc_table.rs). Do \
         not edit this file manually.\n",
    );
    out.push_str("import type { Channel } from \"@tauri-apps/api/core\";\n");
    for name in &imports {
        out.push_str(&format!("import type {{ {name} }} from \"./{name}\";\n"));
    }
    out.push_str(
        "\n/** Every IPC command the app registers: its arguments, as the webview passes them, and what it \
         resolves with. */\nexport interface Commands {\n",
    );
    out.push_str(&entries);
    out.push_str("}\n");
    out
}

#[test]
fn export_the_command_table() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let dir =
        PathBuf::from(std::env::var("TS_RS_EXPORT_DIR").expect("TS_RS_EXPORT_DIR (.cargo/config.toml)"));
    let text = table(&src);
    // Every type it names must have a ts-rs binding beside it: svelte-check fails on an import that isn't.
    std::fs::write(dir.join("commands.ts"), text).expect("commands.ts written");
}

#[test]
fn types_and_names_read_as_typescript() {
    let mut imports = BTreeSet::new();
    let ty: syn::Type = syn::parse_str("Result<Vec<Option<AccountView>>, ApiError>").unwrap();
    assert_eq!(ts(&ty, &mut imports), "Array<AccountView | null>");
    let ty: syn::Type = syn::parse_str("tauri::ipc::Channel<SignInEvent>").unwrap();
    assert_eq!(ts(&ty, &mut imports), "Channel<SignInEvent>");
    assert_eq!(
        imports.into_iter().collect::<Vec<_>>(),
        ["AccountView", "SignInEvent"]
    );
    assert_eq!(camel("send_to_self"), "sendToSelf");
}
