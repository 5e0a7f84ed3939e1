//! Reads `template.yaml`: the resources to create locally, each function's environment with
//! its references resolved to the local names, its HTTP routes and its queue.

use serde_yaml::value::TaggedValue;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template: {0}")]
    Read(String),
    #[error("template: {0}")]
    Shape(String),
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: String,
    pub properties: Value,
    pub metadata: Value,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub resources: BTreeMap<String, Resource>,
    pub parameters: BTreeMap<String, String>,
    pub globals_env: Mapping,
    /// `Globals.Function.KmsKeyArn`: the key the functions' configuration is encrypted with.
    pub globals_kms_key: Option<Value>,
    /// `Globals.Function`, for the settings a function may inherit (timeout, memory).
    pub globals_function: Value,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub method: String,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub logical_id: String,
    pub binary: String,
    /// Unresolved environment: Globals first, the function's own on top.
    pub env: Mapping,
    pub routes: Vec<Route>,
    /// Its SQS event sources, each polled as Lambda's event source mapping does.
    pub queues: Vec<QueueSource>,
    pub schedules: Vec<String>,
    /// Its `KmsKeyArn`, or the Globals' one (unresolved).
    pub kms_key: Option<Value>,
    /// `Timeout`, in seconds: how long an invocation may run before Lambda stops it.
    pub timeout_seconds: u64,
    /// `MemorySize`, in MB (the runtime reads it from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`).
    pub memory_mb: u64,
}

/// One SQS event of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSource {
    /// The queue's logical id.
    pub queue: String,
    pub batch: i32,
    /// `ScalingConfig.MaximumConcurrency`: how many invocations at once (1 without it here).
    pub concurrency: usize,
    /// Its role may change this queue's messages' visibility: it sets the delay of the
    /// messages it fails (back-off) or keeps them out of sight while it works, which the
    /// local poller then leaves as they are.
    pub sets_visibility: bool,
}

/// Whether a statement of these policies allows `action` (named as such, in a string or a
/// list).
fn allows_on(policies: &Value, action: &str, resource: &str) -> bool {
    let statements = policies
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("Statement")?.as_sequence())
        .flatten();
    statements
        .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .filter(|s| {
            // The resource named by its logical id (`!GetAtt <id>.Arn`, `!Ref <id>`, `!Sub`).
            s.get("Resource")
                .and_then(|r| serde_yaml::to_string(r).ok())
                .is_some_and(|r| {
                    r.split(|c: char| !c.is_ascii_alphanumeric())
                        .any(|w| w == resource)
                })
        })
        .filter_map(|s| s.get("Action"))
        .any(|a| match a {
            Value::String(one) => one == action,
            Value::Sequence(all) => all.iter().any(|v| v.as_str() == Some(action)),
            _ => false,
        })
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let root: Value =
            serde_yaml::from_str(text).map_err(|e| TemplateError::Read(e.to_string()))?;
        let mut resources = BTreeMap::new();
        if let Some(map) = root.get("Resources").and_then(Value::as_mapping) {
            for (k, v) in map {
                let id = k
                    .as_str()
                    .ok_or_else(|| TemplateError::Shape("resource id".into()))?
                    .to_owned();
                let kind = v
                    .get("Type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                resources.insert(
                    id,
                    Resource {
                        kind,
                        properties: v.get("Properties").cloned().unwrap_or(Value::Null),
                        metadata: v.get("Metadata").cloned().unwrap_or(Value::Null),
                    },
                );
            }
        }
        let mut parameters = BTreeMap::new();
        if let Some(map) = root.get("Parameters").and_then(Value::as_mapping) {
            for (k, v) in map {
                if let (Some(k), Some(d)) = (k.as_str(), v.get("Default")) {
                    parameters.insert(k.to_owned(), scalar(d));
                }
            }
        }
        let globals_function = root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .cloned()
            .unwrap_or(Value::Null);
        let globals_env = globals_function
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        let globals_kms_key = root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("KmsKeyArn"))
            .cloned();
        Ok(Template {
            resources,
            parameters,
            globals_env,
            globals_kms_key,
            globals_function,
        })
    }

    pub fn of_kind<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Resource)> + 'a {
        self.resources.iter().filter(move |(_, r)| r.kind == kind)
    }

    pub fn functions(&self) -> Vec<FunctionSpec> {
        self.of_kind("AWS::Serverless::Function")
            .map(|(id, r)| {
                // A zip function names its binary for cargo-lambda, a container image for
                // its Dockerfile.
                let binary = r
                    .metadata
                    .get("BuildProperties")
                    .and_then(|b| b.get("Binary"))
                    .or_else(|| r.metadata.get("DockerBuildArgs")?.get("BINARY"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let mut env = self.globals_env.clone();
                if let Some(own) = r
                    .properties
                    .get("Environment")
                    .and_then(|e| e.get("Variables"))
                    .and_then(Value::as_mapping)
                {
                    for (k, v) in own {
                        env.insert(k.clone(), v.clone());
                    }
                }
                let mut routes = Vec::new();
                let mut queues = Vec::new();
                let mut schedules = Vec::new();
                if let Some(events) = r.properties.get("Events").and_then(Value::as_mapping) {
                    for (name, e) in events {
                        let p = e.get("Properties").cloned().unwrap_or(Value::Null);
                        match e.get("Type").and_then(Value::as_str) {
                            Some("HttpApi") => routes.push(Route {
                                method: p
                                    .get("Method")
                                    .and_then(Value::as_str)
                                    .unwrap_or("ANY")
                                    .to_ascii_uppercase(),
                                path: p
                                    .get("Path")
                                    .and_then(Value::as_str)
                                    .unwrap_or("/")
                                    .to_owned(),
                            }),
                            Some("SQS") => {
                                let q = p.get("Queue").and_then(|q| match q {
                                    Value::Tagged(t) if t.tag == "GetAtt" || t.tag == "!GetAtt" => {
                                        t.value
                                            .as_str()
                                            .and_then(|s| s.split('.').next())
                                            .map(str::to_owned)
                                    }
                                    _ => None,
                                });
                                let batch =
                                    p.get("BatchSize").and_then(Value::as_i64).unwrap_or(10) as i32;
                                let concurrency =
                                    p.get("ScalingConfig")
                                        .and_then(|s| s.get("MaximumConcurrency"))
                                        .and_then(Value::as_u64)
                                        .unwrap_or(1) as usize;
                                if let Some(queue) = q {
                                    let sets_visibility =
                                        r.properties.get("Policies").is_some_and(|p| {
                                            allows_on(p, "sqs:ChangeMessageVisibility", &queue)
                                        });
                                    queues.push(QueueSource {
                                        queue,
                                        batch,
                                        concurrency,
                                        sets_visibility,
                                    });
                                }
                            }
                            Some("Schedule" | "ScheduleV2") => {
                                schedules.push(name.as_str().unwrap_or_default().to_owned())
                            }
                            _ => {}
                        }
                    }
                }
                // The function's own setting, else the Globals', else Lambda's default.
                let setting = |name: &str, default: u64| {
                    r.properties
                        .get(name)
                        .or_else(|| self.globals_function.get(name))
                        .and_then(Value::as_u64)
                        .unwrap_or(default)
                };
                FunctionSpec {
                    logical_id: id.clone(),
                    binary,
                    env,
                    routes,
                    queues,
                    schedules,
                    kms_key: r
                        .properties
                        .get("KmsKeyArn")
                        .cloned()
                        .or_else(|| self.globals_kms_key.clone()),
                    timeout_seconds: setting("Timeout", 3),
                    memory_mb: setting("MemorySize", 128),
                }
            })
            .collect()
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Local names and attributes of the created resources, for `!Ref`, `!GetAtt` and `!Sub`.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub refs: BTreeMap<String, String>,
    pub arns: BTreeMap<String, String>,
    pub pseudo: BTreeMap<String, String>,
}

impl Names {
    fn reference(
        &self,
        name: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<String, TemplateError> {
        self.refs
            .get(name)
            .or_else(|| params.get(name))
            .or_else(|| self.pseudo.get(name))
            .cloned()
            .ok_or_else(|| TemplateError::Shape(format!("unresolved reference {name}")))
    }

    fn attribute(&self, spec: &str) -> Result<String, TemplateError> {
        let (id, attr) = spec
            .split_once('.')
            .ok_or_else(|| TemplateError::Shape(format!("bad GetAtt {spec}")))?;
        match attr {
            "Arn" => self
                .arns
                .get(id)
                .cloned()
                .ok_or_else(|| TemplateError::Shape(format!("no Arn for {id}"))),
            _ => Err(TemplateError::Shape(format!(
                "unsupported attribute {spec}"
            ))),
        }
    }

    /// A scalar value of the template, with its intrinsic function applied.
    pub fn resolve(
        &self,
        v: &Value,
        params: &BTreeMap<String, String>,
    ) -> Result<String, TemplateError> {
        match v {
            Value::Tagged(t) => self.tagged(t, params),
            other => Ok(scalar(other)),
        }
    }

    /// A whole property (a key policy, say) as JSON, every intrinsic in it applied.
    pub fn resolve_tree(
        &self,
        v: &Value,
        params: &BTreeMap<String, String>,
    ) -> Result<serde_json::Value, TemplateError> {
        Ok(match v {
            Value::Tagged(t) => serde_json::Value::String(self.tagged(t, params)?),
            Value::Mapping(m) => {
                let mut out = serde_json::Map::new();
                for (k, x) in m {
                    out.insert(scalar(k), self.resolve_tree(x, params)?);
                }
                serde_json::Value::Object(out)
            }
            Value::Sequence(s) => serde_json::Value::Array(
                s.iter()
                    .map(|x| self.resolve_tree(x, params))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::String(n.to_string()),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Null => serde_json::Value::Null,
        })
    }

    fn tagged(
        &self,
        t: &TaggedValue,
        params: &BTreeMap<String, String>,
    ) -> Result<String, TemplateError> {
        let tag = t.tag.to_string();
        let arg = t.value.as_str().unwrap_or_default();
        match tag.trim_start_matches('!') {
            "Ref" => self.reference(arg, params),
            "GetAtt" => self.attribute(arg),
            "Sub" => {
                let mut out = String::new();
                let mut rest = arg;
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let end = rest[start..]
                        .find('}')
                        .ok_or_else(|| TemplateError::Shape("unclosed ${".into()))?
                        + start;
                    let name = &rest[start + 2..end];
                    out.push_str(&if name.contains('.') && !name.starts_with("AWS::") {
                        self.attribute(name)?
                    } else {
                        self.reference(name, params)?
                    });
                    rest = &rest[end + 1..];
                }
                out.push_str(rest);
                Ok(out)
            }
            other => Err(TemplateError::Shape(format!(
                "unsupported intrinsic {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{QueueSource, Template};
    use std::path::Path;

    /// Zip functions name their binary for cargo-lambda, container images for their
    /// Dockerfile: the dev server builds each from that name, so every one must be a crate.
    #[test]
    fn every_function_names_a_binary_of_the_workspace() {
        let template = Template::parse(include_str!("../../../template.yaml"))
            .unwrap_or_else(|e| panic!("template: {e}"));
        let functions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions");
        let specs = template.functions();
        assert!(specs.len() > 10);
        // Each function crate's `[[bin]]`s: name → source file.
        let mut binaries = std::collections::BTreeMap::new();
        for entry in std::fs::read_dir(&functions)
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(text) = std::fs::read_to_string(entry.path().join("Cargo.toml")) else {
                continue;
            };
            let manifest: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}"));
            let bins = manifest.get("bin").and_then(|b| b.as_array()).cloned();
            for bin in bins.into_iter().flatten() {
                if let (Some(name), Some(path)) = (bin.get("name"), bin.get("path")) {
                    let (name, path) = (name.as_str().unwrap_or(""), path.as_str().unwrap_or(""));
                    binaries.insert(name.to_owned(), entry.path().join(path));
                }
            }
        }
        for f in &specs {
            assert!(
                binaries.get(&f.binary).is_some_and(|p| p.exists()),
                "{}: no function crate has a binary {}",
                f.logical_id,
                f.binary
            );
        }
        let binary = |id: &str| {
            specs
                .iter()
                .find(|f| f.logical_id == id)
                .map(|f| f.binary.clone())
        };
        assert_eq!(
            binary("DocumentCheckFunction").as_deref(),
            Some("document-check")
        );
        assert_eq!(
            binary("VirusDefinitionsFunction").as_deref(),
            Some("antivirus-definitions")
        );
    }

    /// Deployed with its defaults, the stack scans documents: the check loads the bucket that
    /// the updater fills on a schedule and at the first deploy.
    #[test]
    fn the_template_deploys_a_working_antivirus() {
        let template = Template::parse(include_str!("../../../template.yaml"))
            .unwrap_or_else(|e| panic!("template: {e}"));
        let specs = template.functions();
        let spec = |id: &str| {
            specs
                .iter()
                .find(|f| f.logical_id == id)
                .unwrap_or_else(|| panic!("no {id}"))
        };
        let tag = |v: Option<&serde_yaml::Value>| match v {
            Some(serde_yaml::Value::Tagged(t)) => {
                format!("{} {}", t.tag, t.value.as_str().unwrap_or_default())
            }
            other => format!("{other:?}"),
        };
        let bucket = serde_yaml::Value::from("VIRUS_DEFINITIONS_BUCKET");
        for id in ["DocumentCheckFunction", "VirusDefinitionsFunction"] {
            assert_eq!(
                tag(spec(id).env.get(&bucket)),
                "!Ref VirusDefinitionsBucket",
                "{id}"
            );
            let r = &template.resources[id];
            assert_eq!(r.properties["PackageType"].as_str(), Some("Image"), "{id}");
        }
        assert!(
            !spec("DocumentCheckFunction")
                .env
                .contains_key(serde_yaml::Value::from("CLAMD_ADDRESS")),
            "on AWS the check runs its own clamd"
        );
        assert!(!spec("VirusDefinitionsFunction").schedules.is_empty());
        let init: Vec<_> = template.of_kind("Custom::VirusDefinitions").collect();
        assert_eq!(init.len(), 1);
        assert_eq!(
            tag(init[0].1.properties.get("ServiceToken")),
            "!GetAtt VirusDefinitionsFunction.Arn"
        );
    }

    #[test]
    fn an_image_function_is_read_like_a_zip_one() {
        let template = Template::parse(
            r#"
Resources:
  ScanFunction:
    Type: AWS::Serverless::Function
    Metadata:
      Dockerfile: infra/antivirus/Dockerfile
      DockerContext: .
      DockerBuildArgs: { BINARY: document-check }
    Properties:
      PackageType: Image
      Environment:
        Variables: { DOCUMENTS_BUCKET: !Ref Documents }
      Events:
        Uploaded:
          Type: SQS
          Properties: { Queue: !GetAtt ScanQueue.Arn, BatchSize: 5 }
"#,
        )
        .unwrap_or_else(|e| panic!("template: {e}"));
        let specs = template.functions();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].binary, "document-check");
        assert_eq!(
            specs[0].queues,
            [QueueSource {
                queue: "ScanQueue".to_owned(),
                batch: 5,
                concurrency: 1,
                sets_visibility: false
            }]
        );
        assert!(specs[0].env.contains_key("DOCUMENTS_BUCKET"));
    }

    /// The local poller leaves a failed message's delay to the consumers that set it.
    #[test]
    fn only_the_document_check_and_the_imports_set_their_messages_visibility() {
        let template = Template::parse(include_str!("../../../template.yaml"))
            .unwrap_or_else(|e| panic!("template: {e}"));
        let setting: Vec<(String, String, usize)> = template
            .functions()
            .into_iter()
            .flat_map(|f| {
                f.queues
                    .into_iter()
                    .filter(|q| q.sets_visibility)
                    .map(move |q| (f.logical_id.clone(), q.queue, q.concurrency))
            })
            .collect();
        assert_eq!(
            setting,
            [
                (
                    "DocumentCheckFunction".to_owned(),
                    "DocumentCheckQueue".to_owned(),
                    5
                ),
                ("SyncInFunction".to_owned(), "SyncInQueue".to_owned(), 2),
                (
                    "SyncInFunction".to_owned(),
                    "ImportRangesQueue".to_owned(),
                    20
                )
            ]
        );
    }
}
