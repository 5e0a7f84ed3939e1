//! The engine on the command line, for the OpenFisca oracle (`tests/oracle/`): JSON Lines of
//! situations on stdin, JSON Lines of estimates on stdout, in the same order.
//!
//! `{"id","request_date","territory","household":[{"relation","birth_date","alternating_custody"}],
//!   "resources_annual_cents","housing":{"status","housing_aid_cents"}}`

use c2s_domain::beneficiary::Territory;
use c2s_domain::dates::parse_date;
use c2s_domain::eligibility::{estimate, Declared, EstimateError, Parameters, Person, Situation};
use c2s_domain::renewal::{HousingStatus, Relation, ResourceKind};
use serde::Deserialize;
use serde_json::json;
use std::io::{BufRead, Write};

#[derive(Deserialize)]
struct Case {
    id: String,
    request_date: String,
    territory: Territory,
    household: Vec<CasePerson>,
    resources_annual_cents: i64,
    housing: CaseHousing,
}

#[derive(Deserialize)]
struct CasePerson {
    relation: Relation,
    birth_date: String,
    #[serde(default)]
    alternating_custody: bool,
}

#[derive(Deserialize)]
struct CaseHousing {
    status: HousingStatus,
    #[serde(default)]
    housing_aid_cents: i64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let params = Parameters::builtin()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let case: Case = serde_json::from_str(&line)?;
        let date = |s: &str| parse_date(s).map_err(|e| format!("{}: {e}", case.id));
        let situation = Situation {
            request_date: date(&case.request_date)?,
            territory: case.territory,
            household: case
                .household
                .iter()
                .map(|p| {
                    Ok(Person {
                        relation: p.relation,
                        birth_date: date(&p.birth_date)?,
                        alternating_custody: p.alternating_custody,
                    })
                })
                .collect::<Result<_, String>>()?,
            // The oracle gives OpenFisca the same total as salaries.
            resources: vec![Declared {
                kind: ResourceKind::Salary,
                annual_cents: case.resources_annual_cents,
            }],
            housing_status: case.housing.status,
            housing_aid_cents: case.housing.housing_aid_cents,
        };
        let answer = match estimate(params, &situation) {
            Ok(e) => json!({
                "id": case.id, "outcome": e.outcome, "monthly_participation_cents": e.monthly_participation_cents,
                "ceiling_free_cents": e.ceiling_free_cents, "ceiling_participation_cents": e.ceiling_participation_cents,
                "forfait_logement_annual_cents": e.forfait_logement_annual_cents, "resources_considered_cents": e.resources_considered_cents,
                "foyer_size_halves": e.foyer_size_halves, "reference_period": e.reference_period,
                "provisional": e.provisional,
            }),
            Err(EstimateError::ParametersUnknown) => {
                json!({"id": case.id, "outcome": "parameters_unknown"})
            }
            Err(e) => json!({"id": case.id, "outcome": "invalid", "error": e.to_string()}),
        };
        writeln!(out, "{answer}")?;
    }
    Ok(())
}
