//! The household vocabulary shared by the renewal form and the eligibility engine: who lives
//! in the foyer, what they earn, how they are housed. Both depend on it, neither on the other.

use crate::dates;
use crate::text::Name;
use serde::{Deserialize, Serialize};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Applicant,
    Spouse,
    Child,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub relation: Relation,
    pub first_name: Name,
    pub last_name: Name,
    #[serde(with = "dates::iso")]
    pub birth_date: Date,
    /// A child in alternating custody counts half in the foyer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alternating_custody: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Salary,
    SelfEmployed,
    Unemployment,
    Pension,
    Disability,
    DailyAllowances,
    FamilyBenefits,
    Rsa,
    Aah,
    Alimony,
    Scholarship,
    RentalIncome,
    CapitalIncome,
    /// Aid and relief paid by a legal person (an association, a foundation, an employer's
    /// social fund…). Not counted since the decree of 28 June 2025 (`parameters/c2s.toml`).
    LegalPersonAid,
    /// Financial help from family or friends. Not counted since the same decree.
    FamilyHelp,
    /// The fictitious income of unproductive assets (R861-6), as declared. Not counted since
    /// the same decree.
    UnproductiveAssets,
    /// Non-professional benefits in kind and gifts (R861-6-1), as declared. Not counted since
    /// the same decree.
    BenefitsInKind,
    Other,
}

impl ResourceKind {
    /// Every kind, in the form's order (the contract's enum is held against it).
    pub const ALL: [ResourceKind; 18] = [
        ResourceKind::Salary,
        ResourceKind::SelfEmployed,
        ResourceKind::Unemployment,
        ResourceKind::Pension,
        ResourceKind::Disability,
        ResourceKind::DailyAllowances,
        ResourceKind::FamilyBenefits,
        ResourceKind::Rsa,
        ResourceKind::Aah,
        ResourceKind::Alimony,
        ResourceKind::Scholarship,
        ResourceKind::RentalIncome,
        ResourceKind::CapitalIncome,
        ResourceKind::LegalPersonAid,
        ResourceKind::FamilyHelp,
        ResourceKind::UnproductiveAssets,
        ResourceKind::BenefitsInKind,
        ResourceKind::Other,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub member: String,
    pub kind: ResourceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annual_cents: Option<i64>,
}

impl Resource {
    /// The amount over the 12 months of the reference period.
    pub fn annual(&self) -> i64 {
        self.annual_cents
            .unwrap_or_else(|| self.monthly_cents.unwrap_or(0) * 12)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HousingStatus {
    Tenant,
    Owner,
    HousedFree,
    Homeless,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Housing {
    pub status: HousingStatus,
    /// Monthly housing aid received (APL, ALS, ALF), in cents.
    #[serde(default)]
    pub housing_aid_cents: i64,
}
