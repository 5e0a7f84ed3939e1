//! Demo beneficiaries, dated from today so their rights always end soon, imported through
//! the real path: a JSON Lines file in the exchange bucket, its S3 event, the queue, sync-in.
//! The people are invented; their NIRs are well-formed but fictitious.

use c2s_domain::dates::{add_months, format_date};
use c2s_domain::nir::key_of;
use serde::Serialize;
use serde_json::{json, Value};
use time::Date;

#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub who: String,
    pub nir: String,
    pub birth_date: String,
    pub renewal_code: String,
    pub iban_last4: String,
    pub vitale_serial: String,
    pub caisse: String,
    pub css_end_date: String,
}

fn nir(first13: &str) -> String {
    format!("{first13}{:02}", key_of(first13))
}

/// The demo file's lines (two of them deliberately invalid, to show the rejects file) and
/// the accounts a person can sign in with.
pub fn file(today: Date) -> (String, Vec<DemoAccount>) {
    let people = [
        (
            "Marie",
            "Durand",
            "2840576540123",
            "1984-05-12",
            "rouen-elbeuf-dieppe",
            2,
            "ROUEN2026A",
            "1234",
            "184512345",
            json!([{"relation": "child", "first_name": "Léa", "last_name": "Durand", "birth_date": "2014-03-04"}]),
        ),
        (
            "Karim",
            "Benali",
            "1901176351042",
            "1990-11-03",
            "le-havre",
            3,
            "HAVRE2026B",
            "5678",
            "290113510",
            json!([
            {"relation": "spouse", "first_name": "Nadia", "last_name": "Benali", "birth_date": "1992-07-21"},
            {"relation": "child", "first_name": "Yanis", "last_name": "Benali", "birth_date": "2016-01-15"},
            {"relation": "child", "first_name": "Inès", "last_name": "Benali", "birth_date": "2019-09-30"}]),
        ),
        (
            "Jean",
            "Petit",
            "1500276451007",
            "1950-02-20",
            "rouen-elbeuf-dieppe",
            8,
            "ROUEN2026C",
            "4321",
            "150027645",
            json!([]),
        ),
    ];
    let mut lines = Vec::new();
    let mut accounts = Vec::new();
    for (first, last, body, birth, caisse, months, code, iban, vitale, household) in people {
        let end = format_date(add_months(today, months));
        let n = nir(body);
        let line: Value = json!({
            "nir": n, "birth_date": birth, "last_name": last, "first_name": first,
            "email": format!("{}.{}@exemple.fr", first.to_lowercase(), last.to_lowercase()), "phone": "0611223344",
            "address": {"line": "12 rue de la République", "postal_code": if caisse == "le-havre" { "76600" } else { "76000" }, "city": if caisse == "le-havre" { "Le Havre" } else { "Rouen" }},
            "territory": "metropole", "caisse": caisse, "css_end_date": end, "renewal_code": code,
            "iban_last4": iban, "vitale_serial": vitale, "household": household
        });
        lines.push(line.to_string());
        accounts.push(DemoAccount {
            who: format!("{first} {last}"),
            nir: n,
            birth_date: birth.into(),
            renewal_code: code.into(),
            iban_last4: iban.into(),
            vitale_serial: vitale.into(),
            caisse: caisse.into(),
            css_end_date: end,
        });
    }
    // A wrong NIR key and an impossible date: both end in inbound/rejects/.
    let mut bad_key = nir("2700176540999");
    bad_key.replace_range(13..15, if &bad_key[13..15] == "00" { "01" } else { "00" });
    lines.push(json!({"nir": bad_key, "birth_date": "1970-01-01", "last_name": "Erreur", "first_name": "Clé", "address": {"line": "1 rue A", "postal_code": "76000", "city": "Rouen"}, "territory": "metropole", "caisse": "rouen-elbeuf-dieppe", "css_end_date": format_date(add_months(today, 2)), "renewal_code": "BADKEY001", "iban_last4": "0000", "vitale_serial": "000000000"}).to_string());
    lines.push(json!({"nir": nir("1850276540111"), "birth_date": "1985-02-30", "last_name": "Erreur", "first_name": "Date", "address": {"line": "1 rue A", "postal_code": "76000", "city": "Rouen"}, "territory": "metropole", "caisse": "rouen-elbeuf-dieppe", "css_end_date": format_date(add_months(today, 2)), "renewal_code": "BADDATE01", "iban_last4": "0000", "vitale_serial": "000000000"}).to_string());
    (lines.join("\n") + "\n", accounts)
}

/// A new invented person whose rights end in `months` months, for tests and trials that
/// need someone nobody else has used (`POST /dev/beneficiaries`): random NIR, letter answers
/// and name, the household given or none.
pub fn fresh(today: Date, caisse: &str, months: u32, household: Value) -> (String, DemoAccount) {
    let r = uuid::Uuid::new_v4().as_u128();
    let digit = |shift: u32, modulo: u128| (r >> shift) % modulo;
    let sex = 1 + digit(0, 2);
    let yy = 50 + digit(2, 50);
    let mm = 1 + digit(10, 12);
    let body = format!(
        "{sex}{yy:02}{mm:02}76{:03}{:03}",
        1 + digit(20, 998),
        1 + digit(32, 998)
    );
    let n = nir(&body);
    let birth = format!("19{yy:02}-{mm:02}-15");
    let code = format!("DEV{:07}", digit(44, 10_000_000));
    let iban = format!("{:04}", digit(70, 10_000));
    let vitale = format!("{:09}", digit(84, 1_000_000_000));
    let names = ["Camille", "Sacha", "Alex", "Dominique", "Claude", "Morgan"];
    let first = names[digit(120, names.len() as u128) as usize];
    let end = format_date(add_months(today, months as i32));
    let line = json!({
        "nir": n, "birth_date": birth, "last_name": "Essai", "first_name": first,
        "email": "essai@exemple.fr", "phone": "0611223344",
        "address": {"line": "1 place de l'Hôtel de Ville", "postal_code": "76000", "city": "Rouen"},
        "territory": "metropole", "caisse": caisse, "css_end_date": end, "renewal_code": code,
        "iban_last4": iban, "vitale_serial": vitale, "household": household
    });
    let account = DemoAccount {
        who: format!("{first} Essai"),
        nir: n,
        birth_date: birth,
        renewal_code: code,
        iban_last4: iban,
        vitale_serial: vitale,
        caisse: caisse.into(),
        css_end_date: end,
    };
    (line.to_string() + "\n", account)
}
