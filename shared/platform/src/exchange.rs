//! The exchange bucket's files with the national system, and the tag that tells the bucket's
//! lifecycle rules (`ExchangeBucket` in template.yaml) that a file has served.

/// Where sync-out writes each decisions file: `<name>.jsonl`, then `<name>.manifest.json`.
pub const DECISIONS: &str = "outbound/decisions/";

/// Where the DPO's rectifications go, one file each, as the decisions do.
pub const RECTIFICATIONS: &str = "outbound/rectifications/";

/// Set by sync-in on what it has consumed: the version of an inbound file it imported or
/// applied, and the outbound file an acknowledgement answers. The lifecycle rule
/// `expire-consumed` deletes it the next day (README, "Retention of the exchange files").
pub const CONSUMED: (&str, &str) = ("c2s-consumed", "true");

/// The objects of the decisions file `name` (`<yyyymmdd>-<seq>`); `None` for a name that is
/// not one (a path, or too long), which names nothing here.
pub fn decision_files(name: &str) -> Option<[String; 2]> {
    let plain = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then(|| {
        [
            format!("{DECISIONS}{name}.jsonl"),
            format!("{DECISIONS}{name}.manifest.json"),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_name_names_a_decisions_file() {
        assert_eq!(
            decision_files("20261201-001"),
            Some([
                "outbound/decisions/20261201-001.jsonl".to_owned(),
                "outbound/decisions/20261201-001.manifest.json".to_owned()
            ])
        );
        for bad in [
            "",
            "../inbound/beneficiaries/x",
            "a/b",
            "x.jsonl",
            &"9".repeat(65),
        ] {
            assert_eq!(decision_files(bad), None, "{bad}");
        }
    }
}
