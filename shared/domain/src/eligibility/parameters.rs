//! The legal amounts of `parameters/c2s.toml`, read and checked once: a period the file does
//! not cover is never guessed.

use crate::beneficiary::Territory;
use crate::dates;
use crate::household::ResourceKind;
use serde::{Deserialize, Serialize, Serializer};
use std::sync::OnceLock;
use time::Date;

/// The file as build.rs turned it into JSON.
const PARAMETERS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/c2s.json"));

#[cfg(test)]
pub(super) const PARAMETERS: &str = include_str!("../../parameters/c2s.toml");

/// A period read from the file: `du`, and `au` when given, in order.
fn dated(du: &str, au: Option<&str>, what: &str) -> Result<Dated<()>, String> {
    let date =
        |s: &str| dates::parse_date(s).map_err(|_| format!("parameters: date illisible {s}"));
    let from = date(du)?;
    let until = au.map(date).transpose()?;
    if until.is_some_and(|u| u < from) {
        return Err(format!("parameters: période inversée ({what} du {du})"));
    }
    Ok(Dated {
        from,
        until,
        value: (),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    plafonds: Vec<CeilingRow>,
    rsa: Vec<RsaRow>,
    #[serde(default)]
    revalorisation: Vec<RevaluationRow>,
    forfait_logement: ForfaitRow,
    participation: Vec<ParticipationRow>,
    #[serde(default)]
    ressources_non_retenues: Vec<ExclusionRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CeilingRow {
    territoire: Territory,
    du: String,
    au: String,
    gratuite: [Euros; 4],
    gratuite_par_personne_en_plus: Euros,
    pub(super) participation: [Euros; 4],
    participation_par_personne_en_plus: Euros,
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RsaRow {
    du: String,
    au: String,
    montant: Euros,
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevaluationRow {
    du: String,
    au: String,
    coefficient: String,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExclusionRow {
    types: Vec<ResourceKind>,
    du: String,
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForfaitRow {
    proprietaire_ou_heberge: [i64; 3],
    aide_au_logement: [i64; 3],
    majoration_rsa: [i64; 3],
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParticipationRow {
    du: String,
    /// None: in force until a later block replaces it.
    au: Option<String>,
    ages: [i32; 4],
    montants: [Euros; 5],
    #[allow(dead_code)]
    source: String,
}

/// An amount in euros as written in the file (`10166` or `"646.52"`), held in cents.
#[derive(Debug, Clone, Copy)]
struct Euros(i64);

impl<'de> Deserialize<'de> for Euros {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(Euros(n * 100)),
            Raw::Text(s) => parse_euros(&s)
                .map(Euros)
                .ok_or_else(|| serde::de::Error::custom(format!("montant illisible : {s}"))),
        }
    }
}

fn parse_euros(s: &str) -> Option<i64> {
    let (units, cents) = s.trim().split_once('.').unwrap_or((s.trim(), "0"));
    let cents = match cents.len() {
        1 => cents.parse::<i64>().ok()? * 10,
        2 => cents.parse::<i64>().ok()?,
        _ => return None,
    };
    Some(units.parse::<i64>().ok()? * 100 + cents)
}

/// A coefficient as written (`"1.008"`, six decimals at most), in millionths.
fn parse_coefficient(s: &str) -> Option<i64> {
    let (units, decimals) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    if decimals.len() > 6 || !decimals.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction = format!("{decimals:0<6}").parse::<i64>().ok()?;
    Some(units.parse::<i64>().ok()?.checked_mul(1_000_000)? + fraction)
}

/// A cents amount times a coefficient in millionths, to the nearest euro (half up).
fn revalue(cents: i64, millionths: i64) -> i64 {
    let exact = i128::from(cents) * i128::from(millionths);
    let euros = (exact + 50_000_000) / 100_000_000;
    i64::try_from(euros).unwrap_or(i64::MAX / 100) * 100
}

/// How provisional ceilings were made: the last published table times `coefficient`, for
/// the reasons `source` gives. Serialized as the engine answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revaluation {
    /// In millionths (1 008 000 is +0.8 %), the product of every year's coefficient since
    /// the last published table; answered as a decimal number.
    #[serde(rename = "coefficient", serialize_with = "as_decimal")]
    pub coefficient_millionths: i64,
    pub source: String,
}

fn as_decimal<S: Serializer>(millionths: &i64, s: S) -> Result<S::Ok, S::Error> {
    // Exact to six decimals, which is what the file holds.
    s.serialize_f64(*millionths as f64 / 1_000_000.0)
}

#[derive(Debug, Clone)]
struct Dated<T> {
    from: Date,
    /// None: open-ended.
    until: Option<Date>,
    value: T,
}

impl<T> Dated<T> {
    fn covers(&self, on: Date) -> bool {
        self.from <= on && self.until.is_none_or(|u| on <= u)
    }

    fn overlaps(&self, other: &Dated<T>) -> bool {
        self.from <= other.until.unwrap_or(Date::MAX)
            && other.from <= self.until.unwrap_or(Date::MAX)
    }
}

#[derive(Debug, Clone)]
struct AgeTable {
    ages: [i32; 4],
    cents: [i64; 5],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ceilings {
    territory: Territory,
    from: Date,
    until: Date,
    pub(super) free: [i64; 4],
    pub(super) free_extra: i64,
    pub(super) participation: [i64; 4],
    pub(super) participation_extra: i64,
}

impl Ceilings {
    fn revalued(&self, millionths: i64) -> Ceilings {
        let r = |c: i64| revalue(c, millionths);
        Ceilings {
            free: self.free.map(r),
            free_extra: r(self.free_extra),
            participation: self.participation.map(r),
            participation_extra: r(self.participation_extra),
            ..self.clone()
        }
    }
}

/// The legal amounts, checked once when read.
#[derive(Debug, Clone)]
pub struct Parameters {
    ceilings: Vec<Ceilings>,
    rsa: Vec<(Date, Date, i64)>,
    revaluations: Vec<Dated<Revaluation>>,
    pub(super) forfait_owner: [i64; 3],
    pub(super) forfait_aid: [i64; 3],
    pub(super) rsa_majoration: [i64; 3],
    participation: Vec<Dated<AgeTable>>,
    /// Kinds no longer counted from a date.
    exclusions: Vec<(ResourceKind, Date)>,
}

impl Parameters {
    /// The parameters shipped with this build.
    pub fn builtin() -> Result<&'static Parameters, String> {
        static BUILTIN: OnceLock<Result<Parameters, String>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let file = serde_json::from_str(PARAMETERS_JSON)
                    .map_err(|e| format!("parameters: {e}"))?;
                Parameters::checked(file)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A parameters file in its TOML form, as the tests change it.
    #[cfg(test)]
    pub(super) fn parse(text: &str) -> Result<Parameters, String> {
        Parameters::checked(toml::from_str(text).map_err(|e| format!("parameters: {e}"))?)
    }

    fn checked(file: File) -> Result<Parameters, String> {
        let date =
            |s: &str| dates::parse_date(s).map_err(|_| format!("parameters: date illisible {s}"));
        let mut ceilings = Vec::new();
        for r in file.plafonds {
            let (from, until) = (date(&r.du)?, date(&r.au)?);
            if until < from {
                return Err(format!("parameters: période inversée {} {}", r.du, r.au));
            }
            let c = Ceilings {
                territory: r.territoire,
                from,
                until,
                free: r.gratuite.map(|e| e.0),
                free_extra: r.gratuite_par_personne_en_plus.0,
                participation: r.participation.map(|e| e.0),
                participation_extra: r.participation_par_personne_en_plus.0,
            };
            let rising = |t: &[i64; 4]| t.windows(2).all(|w| w[0] < w[1]);
            if !rising(&c.free)
                || !rising(&c.participation)
                || c.free.iter().zip(&c.participation).any(|(f, p)| f >= p)
                || c.free_extra <= 0
                || c.participation_extra <= 0
            {
                return Err(format!(
                    "parameters: plafonds incohérents pour la période du {}",
                    r.du
                ));
            }
            if ceilings.iter().any(|o: &Ceilings| {
                o.territory == c.territory && o.from <= c.until && c.from <= o.until
            }) {
                return Err(format!(
                    "parameters: périodes qui se chevauchent ({})",
                    r.du
                ));
            }
            ceilings.push(c);
        }
        let mut rsa = Vec::new();
        for r in file.rsa {
            rsa.push((date(&r.du)?, date(&r.au)?, r.montant.0));
        }
        let mut revaluations: Vec<Dated<Revaluation>> = Vec::new();
        for r in file.revalorisation {
            let millionths = parse_coefficient(&r.coefficient)
                .filter(|c| (500_000..=2_000_000).contains(c))
                .ok_or_else(|| format!("parameters: coefficient illisible {}", r.coefficient))?;
            let row = dated(&r.du, Some(&r.au), "revalorisation")?;
            let row = Dated {
                from: row.from,
                until: row.until,
                value: Revaluation {
                    coefficient_millionths: millionths,
                    source: r.source,
                },
            };
            if revaluations.iter().any(|o| o.overlaps(&row)) {
                return Err(format!(
                    "parameters: revalorisations qui se chevauchent ({})",
                    r.du
                ));
            }
            revaluations.push(row);
        }
        let mut participation: Vec<Dated<AgeTable>> = Vec::new();
        for p in file.participation {
            let row = dated(&p.du, p.au.as_deref(), "participation")?;
            let row = Dated {
                from: row.from,
                until: row.until,
                value: AgeTable {
                    ages: p.ages,
                    cents: p.montants.map(|e| e.0),
                },
            };
            if !row.value.ages.windows(2).all(|w| w[0] < w[1])
                || row.value.cents.iter().any(|c| *c <= 0)
            {
                return Err(format!("parameters: participation incohérente ({})", p.du));
            }
            if participation.iter().any(|o| o.overlaps(&row)) {
                return Err(format!(
                    "parameters: participations qui se chevauchent ({})",
                    p.du
                ));
            }
            participation.push(row);
        }
        let mut exclusions = Vec::new();
        for e in file.ressources_non_retenues {
            let from = date(&e.du)?;
            exclusions.extend(e.types.into_iter().map(|k| (k, from)));
        }
        Ok(Parameters {
            ceilings,
            rsa,
            revaluations,
            forfait_owner: file.forfait_logement.proprietaire_ou_heberge,
            forfait_aid: file.forfait_logement.aide_au_logement,
            rsa_majoration: file.forfait_logement.majoration_rsa,
            participation,
            exclusions,
        })
    }

    /// The ceilings for the date: the published table that covers it; else the last
    /// published table before it, revalued by every year's coefficient since (each year
    /// needs its own, from the day after the previous period), with how it was revalued.
    pub(super) fn ceilings(
        &self,
        territory: Territory,
        on: Date,
    ) -> Option<(Ceilings, Option<Revaluation>)> {
        let ours = || self.ceilings.iter().filter(|c| c.territory == territory);
        if let Some(published) = ours().find(|c| c.from <= on && on <= c.until) {
            return Some((published.clone(), None));
        }
        let last = ours().filter(|c| c.until < on).max_by_key(|c| c.until)?;
        let (mut table, mut day) = (last.clone(), last.until.next_day()?);
        let (mut coefficient, mut sources) = (1_000_000_i64, Vec::new());
        loop {
            let year = self.revaluations.iter().find(|r| r.from == day)?;
            table = table.revalued(year.value.coefficient_millionths);
            coefficient = coefficient * year.value.coefficient_millionths / 1_000_000;
            sources.push(year.value.source.as_str());
            let until = year.until?;
            if on <= until {
                let revaluation = Revaluation {
                    coefficient_millionths: coefficient,
                    source: sources.join(" ; puis "),
                };
                return Some((table, Some(revaluation)));
            }
            day = until.next_day()?;
        }
    }

    /// Whether a resource of this kind counts for a request of that day.
    pub fn counts(&self, kind: ResourceKind, on: Date) -> bool {
        !self
            .exclusions
            .iter()
            .any(|(k, from)| *k == kind && *from <= on)
    }

    pub(super) fn rsa_base(&self, on: Date) -> Option<i64> {
        self.rsa
            .iter()
            .find(|(from, until, _)| *from <= on && on <= *until)
            .map(|r| r.2)
    }

    /// Monthly participation for a person of this age on 1 January, from the age table in
    /// force on `on`; `None` where no table covers that day.
    pub fn participation_for_age(&self, on: Date, age: i32) -> Option<i64> {
        let table = &self.participation.iter().find(|t| t.covers(on))?.value;
        let bracket = table.ages.iter().take_while(|limit| age >= **limit).count();
        Some(table.cents[bracket])
    }

    /// The most a household of `members` people can owe each month: the highest amount of
    /// any age table for each of them. An amount an agent states (where no age table gives one)
    /// is bounded by it.
    pub fn participation_ceiling_cents(&self, members: usize) -> i64 {
        let highest = self
            .participation
            .iter()
            .flat_map(|t| t.value.cents)
            .max()
            .unwrap_or(0);
        highest.saturating_mul(i64::try_from(members.max(1)).unwrap_or(i64::MAX))
    }
}
