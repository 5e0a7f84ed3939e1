//! What `sam build` needs to make each function's package from template.yaml alone: an arm64
//! build, with cargo-lambda, of a binary of one of the function crates, from the workspace's
//! root (`CodeUri: .`, so that every package shares one compilation of the dependencies), and
//! the features that crate needs for the configuration the template gives it. A client the
//! code calls without its feature fails to compile when the crate is built alone (`.ci/run`
//! checks each); a secret given to a function built without `secretsmanager` would only fail
//! at its cold start, so it is checked here.

use devserver::template::Template;
use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn manifest(dir: &str) -> toml::Table {
    let path = root().join(dir).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every crate of `functions/` (its directory, its manifest).
fn function_crates() -> Vec<(String, toml::Table)> {
    std::fs::read_dir(root().join("functions"))
        .unwrap_or_else(|e| panic!("functions/: {e}"))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| format!("functions/{}", e.file_name().to_string_lossy()))
        .map(|dir| {
            let krate = manifest(&dir);
            (dir, krate)
        })
        .collect()
}

/// The features a crate enables on `c2s-platform`.
fn platform_features(krate: &toml::Table) -> BTreeSet<String> {
    krate
        .get("dependencies")
        .and_then(|d| d.get("c2s-platform"))
        .and_then(|p| p.get("features"))
        .and_then(|f| f.as_array())
        .map(|f| {
            f.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn bins(krate: &toml::Table) -> Vec<String> {
    krate
        .get("bin")
        .and_then(|b| b.as_array())
        .map(|b| {
            b.iter()
                .filter_map(|t| t.get("name")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_function_is_packaged_for_arm64_from_a_function_crate_with_the_features_it_needs() {
    let text = std::fs::read_to_string(root().join("template.yaml"))
        .unwrap_or_else(|e| panic!("template: {e}"));
    let template = Template::parse(&text).unwrap_or_else(|e| panic!("template: {e}"));
    let globals: serde_yaml::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("template: {e}"));
    let global_arch = globals
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Architectures"))
        .cloned();

    let mut packaged = BTreeSet::new();
    // A function packaged as a container image is built by its Dockerfile, the binary named
    // in its build arguments.
    let mut images = BTreeSet::new();
    for (id, r) in template.of_kind("AWS::Serverless::Function") {
        if r.properties.get("PackageType").and_then(|p| p.as_str()) == Some("Image") {
            let binary = r
                .metadata
                .get("DockerBuildArgs")
                .and_then(|a| a.get("BINARY"))
                .and_then(|b| b.as_str())
                .unwrap_or_else(|| panic!("{id}: an image without DockerBuildArgs.BINARY"));
            images.insert(format!("functions/{binary}"));
            continue;
        }
        if r.metadata.get("BuildMethod").and_then(|m| m.as_str()) != Some("rust-cargolambda") {
            panic!("{id}: BuildMethod is not rust-cargolambda");
        }
        let binary = r
            .metadata
            .get("BuildProperties")
            .and_then(|b| b.get("Binary"))
            .and_then(|b| b.as_str())
            .unwrap_or_else(|| panic!("{id}: no BuildProperties.Binary"));
        let arch = r
            .properties
            .get("Architectures")
            .cloned()
            .or_else(|| global_arch.clone());
        assert_eq!(
            arch,
            Some(serde_yaml::Value::Sequence(vec!["arm64".into()])),
            "{id}: Architectures"
        );
        let code = r
            .properties
            .get("CodeUri")
            .and_then(|c| c.as_str())
            .unwrap_or_default();
        assert_eq!(code, ".", "{id}: CodeUri, the workspace's root");
        let (dir, krate) = function_crates()
            .into_iter()
            .find(|(_, krate)| bins(krate).iter().any(|b| b == binary))
            .unwrap_or_else(|| panic!("{id}: no function crate has a binary {binary}"));
        let wants_secret = r
            .properties
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(|v| v.as_mapping())
            .is_some_and(|v| {
                v.keys()
                    .any(|k| k.as_str().is_some_and(|k| k.ends_with("_SECRET")))
            });
        if wants_secret {
            assert!(
                platform_features(&krate).contains("secretsmanager"),
                "{id} is given a secret: {dir}/Cargo.toml must enable c2s-platform's secretsmanager"
            );
        }
        packaged.insert(dir);
    }

    let crates: BTreeSet<String> = function_crates()
        .into_iter()
        .map(|(dir, _)| dir)
        .filter(|c| !images.contains(c))
        .collect();
    assert_eq!(
        crates, packaged,
        "function crates (left) and the template's zip functions, images aside (right)"
    );
}
