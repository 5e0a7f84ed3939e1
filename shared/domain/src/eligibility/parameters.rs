//! The legal amounts of `parameters/c2s.toml`, read and checked once: a period the file does
//! not cover is never guessed.

use crate::beneficiary::Territory;
use crate::dates;
use serde::Deserialize;
use std::sync::OnceLock;
use time::Date;

/// The file as build.rs turned it into JSON.
const PARAMETERS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/c2s.json"));

#[cfg(test)]
pub(super) const PARAMETERS: &str = include_str!("../../parameters/c2s.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    plafonds: Vec<CeilingRow>,
    rsa: Vec<RsaRow>,
    forfait_logement: ForfaitRow,
    participation: ParticipationRow,
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

#[derive(Debug, Clone)]
pub(super) struct Ceilings {
    territory: Territory,
    from: Date,
    until: Date,
    pub(super) free: [i64; 4],
    pub(super) free_extra: i64,
    pub(super) participation: [i64; 4],
    pub(super) participation_extra: i64,
}

/// The legal amounts, checked once when read.
#[derive(Debug, Clone)]
pub struct Parameters {
    ceilings: Vec<Ceilings>,
    rsa: Vec<(Date, Date, i64)>,
    pub(super) forfait_owner: [i64; 3],
    pub(super) forfait_aid: [i64; 3],
    pub(super) rsa_majoration: [i64; 3],
    participation_ages: [i32; 4],
    participation_cents: [i64; 5],
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
        Ok(Parameters {
            ceilings,
            rsa,
            forfait_owner: file.forfait_logement.proprietaire_ou_heberge,
            forfait_aid: file.forfait_logement.aide_au_logement,
            rsa_majoration: file.forfait_logement.majoration_rsa,
            participation_ages: file.participation.ages,
            participation_cents: file.participation.montants.map(|e| e.0),
        })
    }

    pub(super) fn ceilings(&self, territory: Territory, on: Date) -> Option<&Ceilings> {
        self.ceilings
            .iter()
            .find(|c| c.territory == territory && c.from <= on && on <= c.until)
    }

    pub(super) fn rsa_base(&self, on: Date) -> Option<i64> {
        self.rsa
            .iter()
            .find(|(from, until, _)| *from <= on && on <= *until)
            .map(|r| r.2)
    }

    /// Monthly participation for a person of this age on 1 January.
    pub fn participation_for_age(&self, age: i32) -> i64 {
        let bracket = self
            .participation_ages
            .iter()
            .take_while(|limit| age >= **limit)
            .count();
        self.participation_cents[bracket]
    }

    /// The most a household of `members` people can owe each month: the age table's highest
    /// amount for each of them. An amount an agent states (where the engine has none) is
    /// bounded by it.
    pub fn participation_ceiling_cents(&self, members: usize) -> i64 {
        let highest = self.participation_cents.iter().copied().max().unwrap_or(0);
        highest.saturating_mul(i64::try_from(members.max(1)).unwrap_or(i64::MAX))
    }
}
