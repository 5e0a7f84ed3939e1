//! The superviseur's export of the caisse's queue, as CSV or XLSX: the files by receipt
//! number, with nothing else that identifies a person (no NIR, no name, no amount).

use crate::audited::action;
use crate::records::{agent, App};
use crate::views::deadline_state;
use c2s_api::{attachment, query, ApiError};
use c2s_domain::dates::format_date;
use c2s_domain::renewal::Status;
use c2s_domain::text::inert_in_spreadsheet;
use c2s_domain::FieldError;
use c2s_platform::agents::Role;
use c2s_platform::clock::today;
use c2s_platform::renewals::RenewalRecord;
use lambda_http::{Body, Request, Response};

/// A response is at most 6 MB on Lambda: past this many files, the superviseur filters.
pub(crate) const EXPORT_MAX: usize = 20_000;
/// Files read per page of the queue's index.
const PAGE: i32 = 500;

const HEADER: [&str; 8] = [
    "numéro de récépissé",
    "statut",
    "déposé le",
    "complet le",
    "échéance",
    "état de l'échéance",
    "agent (matricule)",
    "agent (nom)",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

/// Handles `GET /api/agent/renewals/export`.
pub(crate) async fn export(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let claims = agent(app, req, &[Role::Superviseur]).await?;
    let params = query(req);
    let mut fields = Vec::new();
    let status = match params.get("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Status::parse(s).or_else(|| {
            fields.push(FieldError::new(
                "status",
                "invalid_enum",
                "Ce statut n'existe pas.",
            ));
            None
        }),
    };
    let format = match params.get("format").map(String::as_str) {
        None | Some("") | Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        Some(_) => {
            fields.push(FieldError::new(
                "format",
                "invalid_enum",
                "Le format doit être « csv » ou « xlsx ».",
            ));
            Format::Csv
        }
    };
    if !fields.is_empty() {
        return Err(ApiError::invalid(fields));
    }
    // Every page of the queue's index, never a scan.
    let mut files = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = app
            .renewals
            .queue(&claims.caisse, status, cursor.as_deref(), PAGE)
            .await?;
        files.extend(page.items);
        if files.len() > EXPORT_MAX {
            return Err(ApiError::invalid(vec![FieldError::new(
                "status",
                "too_many",
                "Plus de 20 000 dossiers : choisissez un statut pour exporter moins de dossiers.",
            )]));
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let rows: Vec<[String; 8]> = files.iter().map(row).collect();
    let what = status.map_or("open", Status::as_str);
    let target = format!(
        "queue:{what}:{}",
        if format == Format::Csv { "csv" } else { "xlsx" }
    );
    let name = format!("file-{}-{what}-{}", claims.caisse, format_date(today()));
    let response = match format {
        Format::Csv => attachment(
            csv(&rows)?,
            "text/csv; charset=utf-8",
            &format!("{name}.csv"),
        ),
        Format::Xlsx => attachment(
            xlsx(&rows)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{name}.xlsx"),
        ),
    };
    app.audit
        .append(&action(&claims, "export", &target, None))
        .await?;
    tracing::info!(files = rows.len(), "queue exported");
    Ok(response)
}

/// One file's line: what the queue shows of it, but no one's identity.
fn row(r: &RenewalRecord) -> [String; 8] {
    let date = |d: Option<time::Date>| d.map(format_date).unwrap_or_default();
    [
        r.receipt
            .as_ref()
            .map(|x| x.number.clone())
            .unwrap_or_default(),
        status_label(r.status).to_owned(),
        date(r.receipt.as_ref().map(|x| x.submitted_at.date())),
        date(r.complete_on),
        date(r.deadline),
        match deadline_state(r) {
            "late" => "dépassée",
            "near" => "proche",
            _ => "dans les temps",
        }
        .to_owned(),
        r.assigned_to
            .as_ref()
            .map(|a| a.agent_id.clone())
            .unwrap_or_default(),
        r.assigned_to
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_default(),
    ]
}

/// In the back-office's words (web/src/labels/agent.js).
fn status_label(s: Status) -> &'static str {
    match s {
        Status::Draft => "Brouillon",
        Status::Submitted => "Déposée",
        Status::InReview => "En cours d'instruction",
        Status::AwaitingDocuments => "En attente de pièces",
        Status::Approved => "Accordée",
        Status::Rejected => "Refusée",
        Status::Exported => "Transmise au système national",
        Status::Integrated => "Intégrée",
        Status::Withdrawn => "Retirée par le demandeur",
    }
}

/// `;`-separated, UTF-8 with a BOM (a spreadsheet then reads the accents), every cell
/// quoted and none that a spreadsheet would run as a formula.
fn csv(rows: &[[String; 8]]) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer("\u{feff}".as_bytes().to_vec());
    out.write_record(HEADER).map_err(ApiError::internal)?;
    for r in rows {
        out.write_record(r.iter().map(|c| inert_in_spreadsheet(c).into_owned()))
            .map_err(ApiError::internal)?;
    }
    out.into_inner().map_err(ApiError::internal)
}

/// One sheet, a bold header; every cell a string (never a formula).
fn xlsx(rows: &[[String; 8]]) -> Result<Vec<u8>, ApiError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("File").map_err(ApiError::internal)?;
    for (c, h) in (0u16..).zip(HEADER) {
        sheet
            .write_string_with_format(0, c, h, &bold)
            .map_err(ApiError::internal)?;
    }
    for (r, line) in (1u32..).zip(rows) {
        for (c, cell) in (0u16..).zip(line) {
            sheet.write_string(r, c, cell).map_err(ApiError::internal)?;
        }
    }
    sheet.autofit();
    book.save_to_buffer().map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(receipt: &str) -> [String; 8] {
        [
            receipt.to_owned(),
            "En cours d'instruction".into(),
            "2026-11-25".into(),
            "2026-11-25".into(),
            "2027-01-25".into(),
            "dans les temps".into(),
            "A1001".into(),
            "=HYPERLINK(\"x\")".into(),
        ]
    }

    #[test]
    fn the_csv_has_its_header_and_runs_no_formula() {
        let Ok(bytes) = csv(&[line("C2S-2026-0F3A9C2E1B")]) else {
            panic!("csv");
        };
        let text = String::from_utf8(bytes).unwrap_or_default();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("\u{feff}\"numéro de récépissé\";\"statut\";\"déposé le\";\"complet le\";\"échéance\";\"état de l'échéance\";\"agent (matricule)\";\"agent (nom)\"")
        );
        let first = lines.next().unwrap_or_default();
        assert!(first.starts_with("\"C2S-2026-0F3A9C2E1B\";"), "{first}");
        assert!(first.ends_with(";\"'=HYPERLINK(\"\"x\"\")\""), "{first}");
        assert_eq!(lines.next(), None);
    }

    #[test]
    fn the_xlsx_is_a_workbook() {
        let Ok(bytes) = xlsx(&[line("C2S-2026-0F3A9C2E1B")]) else {
            panic!("xlsx");
        };
        // A ZIP (the OOXML container) holding the sheet.
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let names = String::from_utf8_lossy(&bytes);
        assert!(names.contains("xl/worksheets/sheet1.xml"));
    }
}
