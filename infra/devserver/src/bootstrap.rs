//! Creates the keys, tables, queues and buckets of `template.yaml` on the emulator, under a
//! name prefix so that several stacks (a dev run, each test) live side by side. Each is
//! encrypted as the template says (the stack's KMS key on tables, queues and buckets), so
//! the KMS permissions those services use for a caller are checked locally too
//! (`infra/lib/permissions.py`). PITR and deletion protection are AWS settings the emulator
//! does not need.

use crate::template::{Names, Template, TemplateError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::types::{SseSpecification, SseType};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CorsConfiguration, CorsRule, CreateBucketConfiguration, Event,
    ExpirationStatus, FilterRule, FilterRuleName, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration,
    NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, VersioningConfiguration,
};
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::QueueAttributeName;
use c2s_platform::aws::Clients;
use serde_yaml::Value;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("creating {0} failed: {1}")]
    Create(String, String),
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StackInfo {
    /// KMS keys by logical id: their ARNs.
    pub keys: BTreeMap<String, String>,
    pub tables: BTreeMap<String, String>,
    pub buckets: BTreeMap<String, String>,
    pub queues: BTreeMap<String, String>,
}

fn err<E: std::fmt::Debug>(what: &str) -> impl FnOnce(E) -> BootstrapError + '_ {
    move |e| {
        BootstrapError::Create(
            what.to_owned(),
            format!("{e:?}").chars().take(400).collect(),
        )
    }
}

/// Whether creating failed only because it exists: a second start on an emulator that still
/// runs finds its tables, queues and buckets, data included, and goes on with them.
fn exists<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(e: &E, codes: &[&str]) -> bool {
    e.code().is_some_and(|c| codes.contains(&c))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A bucket's `LifecycleConfiguration` as the template writes it (rule-level `Prefix` and
/// `TagFilters`, days), in S3's terms. The emulator keeps the rules without expiring
/// anything: what is kept, and for how long, is read from the bucket as on AWS.
fn lifecycle(configuration: &Value) -> Result<BucketLifecycleConfiguration, BootstrapError> {
    let days = |v: &Value, key: &str| v.get(key).and_then(Value::as_i64).map(|d| d as i32);
    let mut out = BucketLifecycleConfiguration::builder();
    for rule in configuration
        .get("Rules")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let prefix = rule
            .get("Prefix")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let tags = rule
            .get("TagFilters")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .map(|t| {
                Tag::builder()
                    .key(str_of(t, "Key"))
                    .value(str_of(t, "Value"))
                    .build()
                    .map_err(err("lifecycle tag"))
            })
            .collect::<Result<Vec<Tag>, _>>()?;
        let filter = match (prefix, tags.as_slice()) {
            (None, []) => LifecycleRuleFilter::builder().prefix("").build(),
            (Some(p), []) => LifecycleRuleFilter::builder().prefix(p).build(),
            (None, [tag]) => LifecycleRuleFilter::builder().tag(tag.clone()).build(),
            (p, _) => LifecycleRuleFilter::builder()
                .and(
                    LifecycleRuleAndOperator::builder()
                        .set_prefix(p)
                        .set_tags(Some(tags.clone()))
                        .build(),
                )
                .build(),
        };
        let mut r = LifecycleRule::builder()
            .set_id(rule.get("Id").and_then(Value::as_str).map(str::to_owned))
            .status(ExpirationStatus::from(str_of(rule, "Status")))
            .filter(filter);
        let marker = rule
            .get("ExpiredObjectDeleteMarker")
            .and_then(Value::as_bool);
        if let Some(d) = days(rule, "ExpirationInDays") {
            r = r.expiration(LifecycleExpiration::builder().days(d).build());
        } else if let Some(m) = marker {
            r = r.expiration(
                LifecycleExpiration::builder()
                    .expired_object_delete_marker(m)
                    .build(),
            );
        }
        if let Some(d) = rule
            .get("NoncurrentVersionExpiration")
            .and_then(|v| days(v, "NoncurrentDays"))
        {
            r = r.noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(d)
                    .build(),
            );
        }
        if let Some(d) = rule
            .get("AbortIncompleteMultipartUpload")
            .and_then(|v| days(v, "DaysAfterInitiation"))
        {
            r = r.abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(d)
                    .build(),
            );
        }
        out = out.rules(r.build().map_err(err("lifecycle rule"))?);
    }
    out.build().map_err(err("lifecycle"))
}

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>, BootstrapError> {
    v.as_sequence()
        .into_iter()
        .flatten()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(str_of(k, "AttributeName"))
                .key_type(if str_of(k, "KeyType") == "RANGE" {
                    KeyType::Range
                } else {
                    KeyType::Hash
                })
                .build()
                .map_err(err("key schema"))
        })
        .collect()
}

pub async fn create(
    template: &Template,
    clients: &Clients,
    prefix: &str,
    region: &str,
) -> Result<(StackInfo, Names), BootstrapError> {
    let mut names = Names::default();
    let mut info = StackInfo::default();
    names.pseudo.insert("AWS::Region".into(), region.into());
    // The account the emulator (or AWS) gives this caller: moto's, LocalStack's or real.
    let account = aws_sdk_sts::Client::new(&clients.sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(err("sts:GetCallerIdentity"))?
        .account
        .unwrap_or_default();
    names.pseudo.insert("AWS::AccountId".into(), account);
    names.pseudo.insert("AWS::Partition".into(), "aws".into());
    names.pseudo.insert("AWS::StackName".into(), prefix.into());
    names
        .pseudo
        .insert("AWS::URLSuffix".into(), "amazonaws.com".into());

    // Keys first: the tables, queues and buckets are encrypted with them. A key has no name,
    // so an alias of the stack's finds it again on a second start.
    let kms = aws_sdk_kms::Client::new(&clients.sdk);
    for (id, r) in template.of_kind("AWS::KMS::Key") {
        let alias = format!("alias/{prefix}-{id}");
        let metadata = match kms.describe_key().key_id(&alias).send().await {
            Ok(out) => out.key_metadata,
            Err(e) if e.code() == Some("NotFoundException") => {
                let mut req = kms
                    .create_key()
                    .description(str_of(&r.properties, "Description"));
                if let Some(policy) = r.properties.get("KeyPolicy") {
                    req = req.policy(
                        names
                            .resolve_tree(policy, &template.parameters)?
                            .to_string(),
                    );
                }
                let made = req.send().await.map_err(err(&alias))?.key_metadata;
                if let Some(m) = &made {
                    kms.create_alias()
                        .alias_name(&alias)
                        .target_key_id(m.key_id())
                        .send()
                        .await
                        .map_err(err(&alias))?;
                }
                made
            }
            Err(e) => return Err(err(&alias)(e)),
        };
        let metadata =
            metadata.ok_or_else(|| BootstrapError::Create(alias.clone(), "no key".into()))?;
        if r.properties
            .get("EnableKeyRotation")
            .and_then(Value::as_bool)
            == Some(true)
        {
            kms.enable_key_rotation()
                .key_id(metadata.key_id())
                .send()
                .await
                .map_err(err(&alias))?;
        }
        let arn = metadata.arn().unwrap_or_default().to_owned();
        names.arns.insert(id.clone(), arn.clone());
        names.refs.insert(id.clone(), metadata.key_id().to_owned());
        info.keys.insert(id.clone(), arn);
    }

    for (id, r) in template.of_kind("AWS::DynamoDB::Table") {
        let name = format!("{prefix}-{id}");
        let p = &r.properties;
        let mut req = clients
            .dynamo()
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(
                p.get("KeySchema").unwrap_or(&Value::Null),
            )?));
        for a in p
            .get("AttributeDefinitions")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let t = match str_of(a, "AttributeType") {
                "N" => ScalarAttributeType::N,
                "B" => ScalarAttributeType::B,
                _ => ScalarAttributeType::S,
            };
            req = req.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(str_of(a, "AttributeName"))
                    .attribute_type(t)
                    .build()
                    .map_err(err("attribute"))?,
            );
        }
        for g in p
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let proj = g.get("Projection").cloned().unwrap_or(Value::Null);
            let projection = Projection::builder()
                .projection_type(match str_of(&proj, "ProjectionType") {
                    "KEYS_ONLY" => ProjectionType::KeysOnly,
                    "INCLUDE" => ProjectionType::Include,
                    _ => ProjectionType::All,
                })
                .set_non_key_attributes(
                    proj.get("NonKeyAttributes")
                        .and_then(Value::as_sequence)
                        .map(|s| {
                            s.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        }),
                )
                .build();
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(str_of(g, "IndexName"))
                    .set_key_schema(Some(key_schema(
                        g.get("KeySchema").unwrap_or(&Value::Null),
                    )?))
                    .projection(projection)
                    .build()
                    .map_err(err("index"))?,
            );
        }
        if let Some(sse) = p.get("SSESpecification") {
            if sse.get("SSEEnabled").and_then(Value::as_bool) == Some(true) {
                let mut spec = SseSpecification::builder().enabled(true);
                if str_of(sse, "SSEType") == "KMS" {
                    spec = spec.sse_type(SseType::Kms);
                }
                if let Some(key) = sse.get("KMSMasterKeyId") {
                    spec = spec.kms_master_key_id(names.resolve(key, &template.parameters)?);
                }
                req = req.sse_specification(spec.build());
            }
        }
        match req.send().await {
            Ok(_) => {}
            Err(e) if exists(&e, &["ResourceInUseException"]) => {}
            Err(e) => return Err(err(&name)(e)),
        }
        if let Some(ttl) = p.get("TimeToLiveSpecification") {
            let spec = TimeToLiveSpecification::builder()
                .attribute_name(str_of(ttl, "AttributeName"))
                .enabled(true)
                .build()
                .map_err(err("ttl"))?;
            clients
                .dynamo()
                .update_time_to_live()
                .table_name(&name)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(err(&name))?;
        }
        // The ARN as the emulator says it: its account is moto's, LocalStack's or AWS's.
        let arn = clients
            .dynamo()
            .describe_table()
            .table_name(&name)
            .send()
            .await
            .map_err(err(&name))?
            .table
            .and_then(|t| t.table_arn)
            .unwrap_or_default();
        names.arns.insert(id.clone(), arn);
        names.refs.insert(id.clone(), name.clone());
        info.tables.insert(id.clone(), name);
    }

    // Queues first without redrive, so that every dead-letter queue exists when it is named.
    let queues: Vec<(String, Value)> = template
        .of_kind("AWS::SQS::Queue")
        .map(|(id, r)| (id.clone(), r.properties.clone()))
        .collect();
    for (id, p) in &queues {
        let name = format!("{prefix}-{id}");
        let mut req = clients.sqs().create_queue().queue_name(&name);
        for (attr, key) in [
            (QueueAttributeName::VisibilityTimeout, "VisibilityTimeout"),
            (
                QueueAttributeName::MessageRetentionPeriod,
                "MessageRetentionPeriod",
            ),
            (QueueAttributeName::KmsMasterKeyId, "KmsMasterKeyId"),
            (
                QueueAttributeName::KmsDataKeyReusePeriodSeconds,
                "KmsDataKeyReusePeriodSeconds",
            ),
        ] {
            if let Some(v) = p.get(key) {
                req = req.attributes(attr, names.resolve(v, &template.parameters)?);
            }
        }
        let url = match req.send().await {
            Ok(out) => out.queue_url.unwrap_or_default(),
            // Its attributes differ from a fresh one's once its redrive policy is set.
            Err(e) if exists(&e, &["QueueAlreadyExists", "QueueNameExists"]) => clients
                .sqs()
                .get_queue_url()
                .queue_name(&name)
                .send()
                .await
                .map_err(err(&name))?
                .queue_url
                .unwrap_or_default(),
            Err(e) => return Err(err(&name)(e)),
        };
        let arn = clients
            .sqs()
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(err(&name))?
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .unwrap_or_default();
        names.arns.insert(id.clone(), arn);
        names.refs.insert(id.clone(), url.clone());
        info.queues.insert(id.clone(), url);
    }
    for (id, p) in &queues {
        if let Some(redrive) = p.get("RedrivePolicy") {
            let target = names.resolve(
                redrive.get("deadLetterTargetArn").unwrap_or(&Value::Null),
                &template.parameters,
            )?;
            let max = redrive
                .get("maxReceiveCount")
                .and_then(Value::as_i64)
                .unwrap_or(3);
            let policy = serde_json::json!({"deadLetterTargetArn": target, "maxReceiveCount": max})
                .to_string();
            clients
                .sqs()
                .set_queue_attributes()
                .queue_url(&info.queues[id])
                .attributes(QueueAttributeName::RedrivePolicy, policy)
                .send()
                .await
                .map_err(err(id))?;
        }
    }

    for (id, r) in template.of_kind("AWS::S3::Bucket") {
        let name = format!("{prefix}-{}", id.to_ascii_lowercase());
        let mut req = clients.s3().create_bucket().bucket(&name);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => {}
            Err(e) if exists(&e, &["BucketAlreadyOwnedByYou"]) => {}
            Err(e) => return Err(err(&name)(e)),
        }
        clients
            .s3()
            .put_bucket_versioning()
            .bucket(&name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(err(&name))?;
        if let Some(rules) = r
            .properties
            .get("BucketEncryption")
            .and_then(|e| e.get("ServerSideEncryptionConfiguration"))
            .and_then(Value::as_sequence)
        {
            let mut configuration = ServerSideEncryptionConfiguration::builder();
            for rule in rules {
                let default = rule
                    .get("ServerSideEncryptionByDefault")
                    .unwrap_or(&Value::Null);
                let mut by_default = ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::from(str_of(default, "SSEAlgorithm")));
                if let Some(key) = default.get("KMSMasterKeyID") {
                    by_default =
                        by_default.kms_master_key_id(names.resolve(key, &template.parameters)?);
                }
                configuration = configuration.rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            by_default.build().map_err(err("encryption"))?,
                        )
                        .set_bucket_key_enabled(
                            rule.get("BucketKeyEnabled").and_then(Value::as_bool),
                        )
                        .build(),
                );
            }
            clients
                .s3()
                .put_bucket_encryption()
                .bucket(&name)
                .server_side_encryption_configuration(
                    configuration.build().map_err(err("encryption"))?,
                )
                .send()
                .await
                .map_err(err(&name))?;
        }
        if let Some(configuration) = r.properties.get("LifecycleConfiguration") {
            clients
                .s3()
                .put_bucket_lifecycle_configuration()
                .bucket(&name)
                .lifecycle_configuration(lifecycle(configuration)?)
                .send()
                .await
                .map_err(err(&name))?;
        }
        if r.properties.get("CorsConfiguration").is_some() {
            // Locally the browser uploads from the dev server's origin.
            let rule = CorsRule::builder()
                .allowed_methods("PUT")
                .allowed_origins("*")
                .allowed_headers("*")
                .max_age_seconds(600)
                .build()
                .map_err(err("cors"))?;
            clients
                .s3()
                .put_bucket_cors()
                .bucket(&name)
                .cors_configuration(
                    CorsConfiguration::builder()
                        .cors_rules(rule)
                        .build()
                        .map_err(err("cors"))?,
                )
                .send()
                .await
                .map_err(err(&name))?;
        }
        names
            .arns
            .insert(id.clone(), format!("arn:aws:s3:::{name}"));
        names.refs.insert(id.clone(), name.clone());
        info.buckets.insert(id.clone(), name);
    }
    // Notifications last: their queues exist by now.
    for (id, r) in template.of_kind("AWS::S3::Bucket") {
        let Some(configs) = r
            .properties
            .get("NotificationConfiguration")
            .and_then(|n| n.get("QueueConfigurations"))
            .and_then(Value::as_sequence)
        else {
            continue;
        };
        let mut notification = NotificationConfiguration::builder();
        for c in configs {
            let arn =
                names.resolve(c.get("Queue").unwrap_or(&Value::Null), &template.parameters)?;
            let mut q = QueueConfiguration::builder()
                .queue_arn(arn)
                .events(Event::from(str_of(c, "Event")));
            let rules: Vec<FilterRule> = c
                .get("Filter")
                .and_then(|f| f.get("S3Key"))
                .and_then(|k| k.get("Rules"))
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .map(|rule| {
                    FilterRule::builder()
                        .name(FilterRuleName::from(
                            str_of(rule, "Name").to_ascii_lowercase().as_str(),
                        ))
                        .value(str_of(rule, "Value"))
                        .build()
                })
                .collect();
            if !rules.is_empty() {
                q = q.filter(
                    NotificationConfigurationFilter::builder()
                        .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
                        .build(),
                );
            }
            notification =
                notification.queue_configurations(q.build().map_err(err("notification"))?);
        }
        let bucket = &info.buckets[id];
        clients
            .s3()
            .put_bucket_notification_configuration()
            .bucket(bucket)
            .notification_configuration(notification.build())
            .send()
            .await
            .map_err(err(bucket))?;
    }
    Ok((info, names))
}

/// The address and configuration set a stack sends its emails from.
#[derive(Debug, Clone)]
pub struct EmailSender {
    pub address: String,
    pub configuration_set: String,
}

/// Verifies this stack's sender in SES and creates its configuration set, from the
/// template's `SenderEmail` and `SesConfigurationSet`, as a deploying team does once. The
/// address is made the stack's own (`local+prefix@domain`) so that what it sent can be told
/// apart on an emulator that many stacks share.
pub async fn email_sender(
    template: &Template,
    sdk: &aws_config::SdkConfig,
    prefix: &str,
) -> Result<EmailSender, BootstrapError> {
    let param = |name: &str| template.parameters.get(name).cloned().unwrap_or_default();
    let configured = param("SenderEmail");
    let (local, domain) = configured
        .split_once('@')
        .ok_or_else(|| BootstrapError::Create("SenderEmail".into(), "no @".into()))?;
    let sender = EmailSender {
        address: format!("{local}+{prefix}@{domain}"),
        configuration_set: format!("{prefix}-{}", param("SesConfigurationSet")),
    };
    let ses = aws_sdk_sesv2::Client::new(sdk);
    // Already there from an earlier run of the same prefix: as good as created.
    let made = |code: Option<&str>| {
        matches!(
            code,
            Some("AlreadyExistsException" | "ConfigurationSetAlreadyExistsException")
        )
    };
    if let Err(e) = ses
        .create_email_identity()
        .email_identity(&sender.address)
        .send()
        .await
    {
        if !made(e.code()) {
            return Err(err("the sender identity")(e));
        }
    }
    if let Err(e) = ses
        .create_configuration_set()
        .configuration_set_name(&sender.configuration_set)
        .send()
        .await
    {
        if !made(e.code()) {
            return Err(err("the configuration set")(e));
        }
    }
    Ok(sender)
}
